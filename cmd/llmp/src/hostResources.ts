import {
  type ClickHouseStore,
  engineMetrics,
  migrate,
  type OpenStoreOptions,
  openStore,
  storeTraceSource,
} from '@llmp/clickhouse';
import type { MlflowSync } from '@llmp/exporter-mlflow';
import { type JobStore, jobStore } from '@llmp/jobs';
import type { KafkaClients, KafkaProducer } from '@llmp/kafka';
import { type Logger, type Registry, type ResourceProvider, resourceKey } from '@llmp/pipeline';
import { jobEventPublisher } from './jobEventPublisher.ts';
import { type KafkaClusterConfig, kafkaClients } from './kafkaClients.ts';

/** The ClickHouse store of the process, opened and migrated (a server, or the embedded engine). */
export const storeResource = resourceKey<ClickHouseStore>('ClickHouse store (clickhouse section)');
/** Clients of the role's Kafka cluster (the `kafka` section). */
export const kafkaResource = resourceKey<KafkaClients>('Kafka cluster (kafka section)');
/** The jobs of the store; publishes job events on Kafka where the role has Kafka. */
export const jobsResource = resourceKey<JobStore>('job store');
/** The MLflow upload/deletion queue an `mlflow` exporter following the store made, for the API. */
export const mlflowSyncResource = resourceKey<MlflowSync>('MLflow sync queue');
/** Fault injection for recovery tests: called between a Kafka receiver's insert and its commit. */
export const afterInsertResource =
  resourceKey<(range: { partition: number; first: string; last: string }) => void>('insert hook');

/**
 * The store, opened on first use: migrated, its engine's memory on `/metrics`, and a readiness
 * check that pings it.
 * @example createHost({ providers: [storeProvider({ ...config.clickhouse, dataDir }, { logger, registry })] })
 */
export function storeProvider(
  options: OpenStoreOptions,
  { logger, registry }: { logger: Logger; registry: Registry },
): ResourceProvider<ClickHouseStore> {
  return {
    key: storeResource,
    async open(host) {
      const store = await openStore(options);
      logger.info(
        { store: store.embedded ? 'embedded' : 'server', location: store.location },
        'store opened',
      );
      try {
        const report = await migrate(store);
        logger.info(
          { schemaVersion: report.current, applied: report.applied.map((m) => m.version) },
          'schema up to date',
        );
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
 * The Kafka clients of a distributed role, from its `kafka` section.
 * @example kafkaProvider(config.kafka, logger)
 */
export function kafkaProvider(config: KafkaClusterConfig, logger: Logger): ResourceProvider<KafkaClients> {
  return { key: kafkaResource, open: async () => kafkaClients(config, logger) };
}

/**
 * The job store; with Kafka in the role (and `events` given) job events are published on the
 * events topic by one producer, closed at the end.
 * @example jobsProvider({ events: { topic: 'llmp_job_events' }, logger })
 */
export function jobsProvider({
  events,
  logger,
}: {
  events?: { topic: string } | undefined;
  logger: Logger;
}): ResourceProvider<JobStore> {
  let producer: KafkaProducer | undefined;
  return {
    key: jobsResource,
    async open(host) {
      const store = await host.get(storeResource);
      const kafka = events ? await host.find(kafkaResource) : undefined;
      if (!kafka || !events) return jobStore(store);
      await kafka.ensureTopics([events.topic]).catch((error: unknown) => {
        logger.warn({ err: error }, 'could not check the job events topic now; publishing will retry');
      });
      producer = await kafka.producer();
      return jobStore(store, {
        onEvent: jobEventPublisher(producer, events.topic, logger.child({ component: 'job-events' })),
      });
    },
    close: async () => {
      await producer?.close();
    },
  };
}
