import { writeSync } from 'node:fs';
import { clickhouseExporterFactory, migrate, openStore, storeTraceSource } from '@llmp/clickhouse';
import { type KafkaClients, kafkaReceiverFactory } from '@llmp/kafka';
import { type Logger, pipeline } from '@llmp/pipeline';
import { queryApiServer } from '@llmp/query-api';
import type { IngesterConfig } from './roleConfigs.ts';
import type { Running } from './runStart.ts';
import { mlflowDeletions, traceDeletion } from './traceDeletion.ts';

export interface IngesterOptions {
  kafka: KafkaClients;
  logger: Logger;
  dataDir: string;
  /** Also serve the query API (the embedded store can be opened by one process only). */
  withApi: boolean;
  /** Fault injection for recovery tests: exit abruptly after this many inserts, before their commit. */
  exitAfterInserts?: number | undefined;
}

/**
 * `llmp ingester`: `otlp_spans` → ClickHouse, committing offsets only after each insert.
 * @example const running = await runIngester(config, { kafka, logger, dataDir, withApi: false });
 */
export async function runIngester(config: IngesterConfig, options: IngesterOptions): Promise<Running> {
  const { kafka, logger } = options;
  const store = await openStore({ ...config.clickhouse, dataDir: options.dataDir });
  logger.info({ store: store.embedded ? 'embedded' : 'server', location: store.location }, 'store opened');
  try {
    const report = await migrate(store);
    logger.info(
      { schemaVersion: report.current, applied: report.applied.map((m) => m.version) },
      'schema up to date',
    );
    const settings = (id: string) => ({ id, logger: logger.child({ component: id }) });
    const exporter = clickhouseExporterFactory(store).create(
      settings('clickhouse'),
      config.exporters.clickhouse,
      undefined,
    );
    let inserts = 0;
    const receiverConfig = config.receivers.kafka;
    await kafka.ensureTopics([receiverConfig.topic, receiverConfig.deadLetterTopic]);
    const receiver = kafkaReceiverFactory({
      consumer: await kafka.consumer({
        groupId: receiverConfig.groupId,
        topic: receiverConfig.topic,
        sessionTimeoutMs: receiverConfig.sessionTimeout,
      }),
      producer: await kafka.producer(),
      afterInsert: (range) => {
        inserts++;
        if (options.exitAfterInserts !== undefined && inserts >= options.exitAfterInserts) {
          // Written synchronously: nothing buffered survives the SIGKILL that follows.
          writeSync(
            2,
            `llmp: fault injection: exiting after insert of ${JSON.stringify(range)}, before commit\n`,
          );
          process.kill(process.pid, 'SIGKILL');
        }
      },
    }).create(settings('kafka'), receiverConfig, exporter);
    const traces = pipeline({ receivers: [receiver], processors: [], exporters: [exporter] });
    const mlflow = options.withApi ? mlflowDeletions(config.exporters.mlflow, logger) : undefined;
    const api = options.withApi
      ? queryApiServer({
          endpoint: config.query.endpoint,
          logger: logger.child({ component: 'query' }),
          source: storeTraceSource(store),
          deletion: traceDeletion(store, mlflow),
        })
      : undefined;
    await traces.start();
    try {
      await api?.start();
    } catch (error) {
      await traces.shutdown();
      throw error;
    }
    return {
      async stop() {
        await traces.shutdown();
        await api?.shutdown();
        await mlflow?.shutdown();
        await store.close();
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}
