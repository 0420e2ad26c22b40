import { flushDerives, storeResource, storeTraceSource } from '@llmp/clickhouse';
import { type MlflowExporterConfig, mlflowSyncResource } from '@llmp/exporter-mlflow';
import { jobsResource, linkedTraceSource } from '@llmp/jobs';
import type { Authenticate, Component, Host, Logger, Registry, TlsServerConfig } from '@llmp/pipeline';
import { queryApiServer } from '@llmp/query-api';
import { buildInfo } from './buildInfo.ts';
import { mlflowDeletions, traceDeletion } from './traceDeletion.ts';

/** Where and how a role serves the query API. */
export interface QueryApiSpec {
  endpoint: string;
  tls?: TlsServerConfig | undefined;
  mlflow?: MlflowExporterConfig | undefined;
}

/**
 * The query API over the host's store and jobs, and the MLflow deletion queue it feeds when no
 * uploading exporter has one, in stop order (the API before the queue). runRole imports this
 * module only for a role that serves the API, so the gateway never loads the API, the UI routes
 * or the store's read code.
 * @example for (const { service, key, endpoint } of await queryApiServices({ api, host, … })) await service.start();
 */
export async function queryApiServices({
  api,
  host,
  logger,
  registry,
  authenticate,
}: {
  api: QueryApiSpec;
  host: Host;
  logger: Logger;
  registry: Registry;
  authenticate: Authenticate | undefined;
}): Promise<Array<{ service: Component; key: string; endpoint: string }>> {
  const store = await host.get(storeResource);
  const jobs = await host.get(jobsResource);
  // The API deletes from MLflow through the uploading exporter's queue when there is one;
  // otherwise through a queue of its own that only carries deletions.
  const uploading = await host.find(mlflowSyncResource);
  const deletions = uploading ? undefined : mlflowDeletions(api.mlflow, store, logger, registry);
  const server = queryApiServer({
    endpoint: api.endpoint,
    tls: api.tls,
    logger: logger.child({ component: 'query' }),
    source: linkedTraceSource(storeTraceSource(store), jobs),
    jobs,
    authenticate,
    registry,
    deletion: traceDeletion(store, uploading ?? deletions),
    ready: () => host.ready(),
    version: buildInfo().version,
    // The spans this process stored and has not derived yet, derived before a read.
    beforeRead: () => flushDerives(store),
  });
  return [
    ...(deletions ? [{ service: deletions, key: 'exporters.mlflow', endpoint: '' }] : []),
    { service: server, key: 'query', endpoint: api.endpoint },
  ];
}
