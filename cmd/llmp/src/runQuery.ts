import { migrate, openStore, storeTraceSource } from '@llmp/clickhouse';
import type { Logger } from '@llmp/pipeline';
import { queryApiServer } from '@llmp/query-api';
import type { QueryConfig } from './roleConfigs.ts';
import type { Running } from './runStart.ts';
import { mlflowDeletions, traceDeletion } from './traceDeletion.ts';

/**
 * `llmp query`: the query API over ClickHouse; stateless with a server, so it scales out.
 * @example const running = await runQuery(config, { logger, dataDir });
 */
export async function runQuery(
  config: QueryConfig,
  { logger, dataDir }: { logger: Logger; dataDir: string },
): Promise<Running> {
  const store = await openStore({ ...config.clickhouse, dataDir });
  try {
    await migrate(store);
    const mlflow = mlflowDeletions(config.exporters.mlflow, logger);
    const api = queryApiServer({
      endpoint: config.query.endpoint,
      logger: logger.child({ component: 'query' }),
      source: storeTraceSource(store),
      deletion: traceDeletion(store, mlflow),
    });
    await api.start();
    return {
      async stop() {
        await api.shutdown();
        await mlflow?.shutdown();
        await store.close();
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}
