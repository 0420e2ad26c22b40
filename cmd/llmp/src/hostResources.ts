import {
  type ClickHouseStore,
  engineMetrics,
  genAiRecordMessages,
  type MigrateOptions,
  migrate,
  type OpenStoreOptions,
  openStore,
  requireSchema,
  storeResource,
  storeTraceSource,
} from '@llmp/clickhouse';
import { type MlflowExporterDeps, mlflowStoreResource } from '@llmp/exporter-mlflow';
import { type JobStore, jobEventOutbox, jobStore, jobsResource } from '@llmp/jobs';
import { type KafkaProducer, kafkaResource } from '@llmp/kafka/components';
import type { Logger, Registry, ResourceProvider } from '@llmp/pipeline';
import { jobEventMetrics } from './jobEventMetrics.ts';
import { type JobEventRelay, jobEventRelay } from './jobEventRelay.ts';
import { mlflowStoreDeps } from './mlflowStoreDeps.ts';

/**
 * The store, opened on first use: migrated (or, with `migrate: false`, its version checked), its engine's memory on `/metrics`, and a readiness
 * check that pings it.
 * @example createHost({ providers: [storeProvider({ ...config.clickhouse, dataDir }, { logger, registry })] })
 */
export function storeProvider(
  {
    migrate: migrates = true,
    retention,
    ...options
  }: OpenStoreOptions & { migrate?: boolean; retention?: MigrateOptions['retention'] },
  { logger, registry }: { logger: Logger; registry: Registry },
): ResourceProvider<ClickHouseStore> {
  return {
    key: storeResource,
    async open(host) {
      const store = await openStore(options);
      logger.info(
        { store: store.embedded ? 'embedded' : 'server', location: store.location, cluster: store.cluster },
        'store opened',
      );
      try {
        if (migrates) {
          const report = await migrate(store, undefined, { retention });
          logger.info(
            { schemaVersion: report.current, applied: report.applied.map((m) => m.version) },
            'schema up to date',
          );
        } else {
          // --no-migrate: `llmp migrate` is the upgrade step; an older schema stops the role here.
          logger.info({ schemaVersion: await requireSchema(store) }, 'schema checked (not migrating)');
        }
      } catch (error) {
        await store.close();
        throw error;
      }
      engineMetrics(store, registry);
      const source = storeTraceSource(store);
      host.addReadinessCheck('clickhouse', () => source.ping());
      return store;
    },
    close: (store) => store.close(),
  };
}

/**
 * The job store; with Kafka in the role (and `events` given) job events are published on the
 * events topic by one producer, closed at the end.
 * @example jobsProvider({ events: { topic: 'llmp_job_events' }, logger, registry })
 */
export function jobsProvider({
  events,
  logger,
  registry,
}: {
  events?: { topic: string } | undefined;
  logger: Logger;
  /** Where the job events topic check and failed sends are counted (a private one if absent). */
  registry?: Registry;
}): ResourceProvider<JobStore> {
  let producer: KafkaProducer | undefined;
  let relay: JobEventRelay | undefined;
  return {
    key: jobsResource,
    async open(host) {
      const store = await host.get(storeResource);
      const kafka = events ? await host.find(kafkaResource) : undefined;
      if (!kafka || !events) return jobStore(store);
      await kafka.ensureTopics([events.topic]).catch((error: unknown) => {
        // One line, not the error object with its stack: Kafka down at start is an outage the
        // role rides out (job events wait in the outbox and are sent once Kafka answers).
        jobEventMetrics(registry).topicCheckFailures.inc();
        logger.warn(
          { topic: events.topic, reason: error instanceof Error ? error.message : String(error) },
          `could not check the job events topic "${events.topic}" at start (Kafka not reachable?): ` +
            'job events are still stored and wait in the outbox until they are sent ' +
            '(llmp_job_events_unpublished); check kafka.brokers ' +
            'and that the topic exists or this client may create it',
        );
      });
      producer = await kafka.producer();
      relay = jobEventRelay({
        outbox: jobEventOutbox(store),
        producer,
        topic: events.topic,
        logger: logger.child({ component: 'job-events' }),
        registry,
      });
      relay.start();
      const stored = relay;
      return jobStore(store, { onEvent: () => stored.kick() });
    },
    close: async () => {
      await relay?.close();
      await producer?.close();
    },
  };
}

/**
 * What an `mlflow` exporter keeps in the store (sync states, stored traces, job names), for the
 * roles that have a store.
 * @example createHost({ providers: [storeProvider(…), jobsProvider(…), mlflowStoreProvider()] })
 */
export function mlflowStoreProvider(): ResourceProvider<Omit<MlflowExporterDeps, 'api'>> {
  return {
    key: mlflowStoreResource,
    open: async (host) => mlflowStoreDeps(await host.get(storeResource), await host.get(jobsResource)),
  };
}

/**
 * The mlflow-exporter role's MLflow deps without a shared store: only the GenAI event records
 * in hand (otlp_logs), joined in memory with the spans (no sync states, no stored traces).
 * @example createHost({ providers: [kafkaProvider(…), mlflowRecordsProvider()] })
 */
export function mlflowRecordsProvider(): ResourceProvider<Omit<MlflowExporterDeps, 'api'>> {
  return { key: mlflowStoreResource, open: async () => ({ recordMessages: genAiRecordMessages }) };
}
