import { writeSync } from 'node:fs';
import {
  clickhouseExporterFactory,
  engineMetrics,
  migrate,
  openStore,
  storeTraceSource,
} from '@llmp/clickhouse';
import { genAiProcessorFactory } from '@llmp/genai';
import { jobLinkerFactory, jobStore, linkedTraceSource } from '@llmp/jobs';
import { type KafkaClients, kafkaReceiverFactory } from '@llmp/kafka';
import type { TraceBatch } from '@llmp/otlp';
import { type Logger, observeExporter, pipeline, processRegistry } from '@llmp/pipeline';
import { queryApiServer } from '@llmp/query-api';
import { authenticateFrom } from './authenticateFrom.ts';
import { jobEventPublisher } from './jobEventPublisher.ts';
import type { IngesterConfig } from './roleConfigs.ts';
import type { Running } from './runStart.ts';
import { telemetryServer } from './telemetryServer.ts';
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
 * `llmp ingester`: `otlp_spans` → genai → ClickHouse, committing offsets only after each insert.
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
    const registry = processRegistry();
    engineMetrics(store, registry);
    const settings = (id: string) => ({ id, logger: logger.child({ component: id }), registry });
    const exporter = observeExporter(
      clickhouseExporterFactory(store).create(settings('clickhouse'), config.exporters.clickhouse, undefined),
      { registry, exporter: 'clickhouse', count: (batch: TraceBatch) => batch.spanCount },
    );
    const jobEvents = await kafka.producer();
    const jobs = jobStore(store, {
      onEvent: jobEventPublisher(
        jobEvents,
        config.jobEvents.topic,
        logger.child({ component: 'job-events' }),
      ),
    });
    const linker = jobLinkerFactory(jobs).create(settings('jobs'), config.processors.jobs, exporter);
    const genai = genAiProcessorFactory.create(settings('genai'), config.processors.genai, linker);
    let inserts = 0;
    const receiverConfig = config.receivers.kafka;
    await kafka.ensureTopics([receiverConfig.topic, receiverConfig.deadLetterTopic, config.jobEvents.topic]);
    const receiver = kafkaReceiverFactory({
      consumer: await kafka.consumer({
        groupId: receiverConfig.groupId,
        topic: receiverConfig.topic,
        sessionTimeoutMs: receiverConfig.sessionTimeout,
        // A fetch can bring a whole insert of each partition (docs/benchmarks.md, "Insert CPU").
        fetchBytesPerPartition: receiverConfig.maxBatchBytes,
        partitionsAtOnce: receiverConfig.partitionsAtOnce,
        maxInflatedBatchBytes: receiverConfig.maxInflatedBatchBytes,
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
    }).create(settings('kafka'), receiverConfig, genai);
    const traces = pipeline({ receivers: [receiver], processors: [genai, linker], exporters: [exporter] });
    const mlflow = options.withApi
      ? mlflowDeletions(config.exporters.mlflow, store, logger, registry)
      : undefined;
    const api = options.withApi
      ? queryApiServer({
          endpoint: config.query.endpoint,
          logger: logger.child({ component: 'query' }),
          source: linkedTraceSource(storeTraceSource(store), jobs),
          jobs,
          authenticate: authenticateFrom(config.auth, process.env).authenticate,
          registry,
          deletion: traceDeletion(store, mlflow),
        })
      : undefined;
    const telemetry = telemetryServer({
      endpoint: config.telemetry.endpoint,
      registry,
      ready: async () => {
        await storeTraceSource(store).ping();
        await kafka.ensureTopics([receiverConfig.topic]);
        // 503 while a partition cannot make progress (inserts or dead-letter sends keep failing).
        await receiver.checkProgress();
      },
      logger: logger.child({ component: 'telemetry' }),
    });
    await traces.start();
    try {
      await api?.start();
      await mlflow?.start();
      await telemetry.start();
    } catch (error) {
      await traces.shutdown();
      await api?.shutdown();
      throw error;
    }
    return {
      async stop() {
        await traces.shutdown();
        await api?.shutdown();
        await telemetry.shutdown();
        await jobEvents.close();
        await mlflow?.shutdown();
        await store.close();
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}
