import type { Logger } from '@llmp/pipeline';
import type { AllInOneConfig } from './allInOneConfig.ts';
import { jobsProvider, mlflowStoreProvider, storeProvider } from './hostResources.ts';
import { type Running, runRole } from './runRole.ts';

export type { Running } from './runRole.ts';

/**
 * `llmp start`: the pipelines of `deploy/config/all-in-one.yaml` (by default OTLP → batch →
 * genai → jobs → ClickHouse) and the query API, over one store (embedded unless a server URL is
 * configured). Resolves once everything listens.
 * @example const running = await runStart(config, { dataDir: './.llmp', logger });
 */
export function runStart(
  config: AllInOneConfig,
  { dataDir, logger }: { dataDir: string; logger: Logger },
): Promise<Running> {
  return runRole({
    config,
    logger,
    providers: (context) => [
      storeProvider({ ...config.clickhouse, dataDir }, context),
      jobsProvider({ logger }),
      mlflowStoreProvider(),
    ],
    api: { endpoint: config.query.endpoint, tls: config.query.tls, mlflow: config.exporters.mlflow },
  });
}
