import type { Logger } from '@llmp/pipeline';
import { jobsProvider, mlflowStoreProvider, storeProvider } from './hostResources.ts';
import { kafkaProvider } from './kafkaProvider.ts';
import type { QueryConfig } from './roleConfigs.ts';
import { type Running, runRole } from './runRole.ts';

/**
 * `llmp query`: the query API over ClickHouse (a host service, no pipelines by default);
 * stateless with a server, so it scales out. With a `kafka` section job events are published.
 * @example const running = await runQuery(config, { logger, dataDir });
 */
export function runQuery(
  config: QueryConfig,
  { logger, dataDir }: { logger: Logger; dataDir: string },
): Promise<Running> {
  return runRole({
    config,
    logger,
    providers: (context) => [
      storeProvider({ ...config.clickhouse, dataDir }, context),
      ...(config.kafka ? [kafkaProvider(config.kafka, logger)] : []),
      jobsProvider({ events: config.kafka ? config.jobEvents : undefined, ...context }),
      mlflowStoreProvider(),
    ],
    api: { endpoint: config.query.endpoint, tls: config.query.tls, mlflow: config.exporters.mlflow },
    expectedUnused: ['exporters.mlflow'],
  });
}
