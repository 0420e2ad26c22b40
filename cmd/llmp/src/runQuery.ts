import { engineMetrics, migrate, openStore, storeTraceSource } from '@llmp/clickhouse';
import { jobStore, linkedTraceSource } from '@llmp/jobs';
import { type Logger, processRegistry } from '@llmp/pipeline';
import { queryApiServer } from '@llmp/query-api';
import { authenticateFrom } from './authenticateFrom.ts';
import { jobEventPublisher } from './jobEventPublisher.ts';
import { kafkaClients } from './kafkaClients.ts';
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
    const registry = processRegistry();
    engineMetrics(store, registry);
    const mlflow = mlflowDeletions(config.exporters.mlflow, store, logger, registry);
    // With Kafka configured, job events made through this API are published too.
    const kafka = config.kafka ? kafkaClients(config.kafka, logger) : undefined;
    await kafka?.ensureTopics([config.jobEvents.topic]).catch((error: unknown) => {
      logger.warn({ err: error }, 'could not check the job events topic now; publishing will retry');
    });
    const producer = await kafka?.producer();
    const jobs = jobStore(
      store,
      producer
        ? {
            onEvent: jobEventPublisher(
              producer,
              config.jobEvents.topic,
              logger.child({ component: 'job-events' }),
            ),
          }
        : {},
    );
    const api = queryApiServer({
      endpoint: config.query.endpoint,
      logger: logger.child({ component: 'query' }),
      source: linkedTraceSource(storeTraceSource(store), jobs),
      jobs,
      authenticate: authenticateFrom(config.auth, process.env).authenticate,
      registry,
      deletion: traceDeletion(store, mlflow),
    });
    await api.start();
    await mlflow?.start();
    return {
      async stop() {
        await api.shutdown();
        await producer?.close();
        await mlflow?.shutdown();
        await store.close();
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}
