import { writeSync } from 'node:fs';
import { afterInsertResource } from '@llmp/kafka';
import type { Logger } from '@llmp/pipeline';
import { jobsProvider, mlflowStoreProvider, storeProvider } from './hostResources.ts';
import { kafkaProvider } from './kafkaProvider.ts';
import type { IngesterConfig } from './roleConfigs.ts';
import { type Running, runRole } from './runRole.ts';

export interface IngesterOptions {
  logger: Logger;
  dataDir: string;
  /** Also serve the query API (the embedded store can be opened by one process only). */
  withApi: boolean;
  /** Fault injection for recovery tests: exit abruptly after this many inserts, before their commit. */
  exitAfterInserts?: number | undefined;
}

/** The fault injection hook: SIGKILL after `after` inserts, before their commit. */
function exitAfter(after: number) {
  let inserts = 0;
  return (range: { partition: number; first: string; last: string }) => {
    inserts++;
    if (inserts < after) return;
    // Written synchronously: nothing buffered survives the SIGKILL that follows.
    writeSync(2, `llmp: fault injection: exiting after insert of ${JSON.stringify(range)}, before commit\n`);
    process.kill(process.pid, 'SIGKILL');
  };
}

/**
 * `llmp ingester`: the pipelines of `deploy/config/ingester.yaml` (by default `otlp_spans` →
 * genai → jobs → ClickHouse, offsets committed only after each insert); `--with-api` adds the query API.
 * @example const running = await runIngester(config, { logger, dataDir, withApi: false });
 */
export function runIngester(config: IngesterConfig, options: IngesterOptions): Promise<Running> {
  const { logger } = options;
  return runRole({
    config,
    logger,
    providers: (context) => [
      storeProvider({ ...config.clickhouse, dataDir: options.dataDir }, context),
      kafkaProvider(config.kafka, logger),
      jobsProvider({ events: config.jobEvents, ...context }),
      mlflowStoreProvider(),
      ...(options.exitAfterInserts === undefined
        ? []
        : [{ key: afterInsertResource, open: async () => exitAfter(options.exitAfterInserts!) }]),
    ],
    api: options.withApi
      ? { endpoint: config.query.endpoint, tls: config.query.tls, mlflow: config.exporters.mlflow }
      : undefined,
    telemetry: config.telemetry,
    // Read by the query API's DELETE (with --with-api), not by a pipeline.
    expectedUnused: ['exporters.mlflow'],
  });
}
