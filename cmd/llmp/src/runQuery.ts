import { migrate, openStore, storeTraceSource } from '@llmp/clickhouse';
import { jobStore, linkedTraceSource } from '@llmp/jobs';
import { type Logger, Registry } from '@llmp/pipeline';
import { queryApiServer } from '@llmp/query-api';
import { authenticateFrom } from './authenticateFrom.ts';
import type { QueryConfig } from './roleConfigs.ts';
import type { Running } from './runStart.ts';

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
    const jobs = jobStore(store);
    const api = queryApiServer({
      endpoint: config.query.endpoint,
      logger: logger.child({ component: 'query' }),
      source: linkedTraceSource(storeTraceSource(store), jobs),
      jobs,
      authenticate: authenticateFrom(config.auth, process.env).authenticate,
      registry: new Registry(),
    });
    await api.start();
    return {
      async stop() {
        await api.shutdown();
        await store.close();
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}
