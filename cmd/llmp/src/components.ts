import { clickhouseExporterConfig, clickhouseExporterFactory } from '@llmp/clickhouse';
import {
  type MlflowExporterConfig,
  mlflowDirectExporterFactory,
  mlflowExporterConfig,
  mlflowExporterFactory,
} from '@llmp/exporter-mlflow';
import { genAiProcessorFactory } from '@llmp/genai';
import { jobLinkerConfig, jobLinkerFactory } from '@llmp/jobs';
import {
  type KafkaReceiverConfig,
  kafkaExporterConfig,
  kafkaExporterFactory,
  kafkaReceiverConfig,
  kafkaReceiverFactory,
} from '@llmp/kafka';
import type { TraceBatch } from '@llmp/otlp';
import {
  type BuildableFactory,
  type Component,
  type ComponentFactories,
  type ComponentSettings,
  type Consumer,
  type Host,
  observeExporter,
} from '@llmp/pipeline';
import { batchProcessorFactory } from '@llmp/processors';
import { otlpReceiverFactory } from '@llmp/receiver-otlp';
import type { z } from 'zod';
import {
  afterInsertResource,
  jobsResource,
  kafkaResource,
  mlflowSyncResource,
  storeResource,
} from './hostResources.ts';
import { mlflowStoreDeps } from './mlflowStoreDeps.ts';

/**
 * A factory that takes what it needs from the host: a plain value looked up by type. The
 * components' own factories are bound to their dependencies (store, producer …); this is where
 * the host hands those over.
 */
function hosted<Config>(
  type: string,
  configSchema: z.ZodType<Config>,
  create: (
    settings: ComponentSettings & { host: Host },
    config: Config,
    next: Consumer<TraceBatch>,
  ) => Promise<Component>,
  extra: Pick<BuildableFactory, 'follows'> = {},
): BuildableFactory {
  return {
    type,
    configSchema: configSchema as z.ZodType<unknown>,
    ...extra,
    create(settings, config, next) {
      if (!settings.host) throw new Error(`${type}: built without a host`);
      return create(
        settings as ComponentSettings & { host: Host },
        config as Config,
        next as Consumer<TraceBatch>,
      );
    },
  };
}

/** Counts what an exporter stored or failed (llmp_exporter_*_spans_total) under its id. */
const observed = (settings: ComponentSettings, exporter: Component & Consumer<TraceBatch>) =>
  observeExporter(exporter, {
    registry: settings.registry,
    exporter: settings.id,
    count: (batch: TraceBatch) => batch.spanCount,
  });

/** `kafka` receiver: a topic in a consumer group; offsets committed once the pipeline accepted. */
const kafkaReceiver = hosted(
  'kafka',
  kafkaReceiverConfig,
  async (settings, config: KafkaReceiverConfig, next) => {
    const kafka = await settings.host.get(kafkaResource);
    await kafka.ensureTopics([config.topic, config.deadLetterTopic]);
    settings.host.addReadinessCheck(`${settings.id} (topic ${config.topic})`, () =>
      kafka.ensureTopics([config.topic]),
    );
    const afterInsert = await settings.host.find(afterInsertResource);
    return kafkaReceiverFactory({
      consumer: await kafka.consumer({
        groupId: config.groupId,
        topic: config.topic,
        sessionTimeoutMs: config.sessionTimeout,
        // A fetch can bring a whole insert of each partition (docs/benchmarks.md, "Insert CPU").
        fetchBytesPerPartition: config.maxBatchBytes,
        partitionsAtOnce: config.partitionsAtOnce,
      }),
      producer: await kafka.producer(),
      ...(afterInsert ? { afterInsert } : {}),
    }).create(settings, config, next);
  },
);

/** `jobs` processor: links spans to jobs in the host's job store. */
const jobsProcessor = hosted('jobs', jobLinkerConfig, async (settings, config, next) =>
  jobLinkerFactory(await settings.host.get(jobsResource)).create(settings, config, next),
);

/** `clickhouse` exporter: one INSERT per batch into the host's store. */
const clickhouseExporter = hosted('clickhouse', clickhouseExporterConfig, async (settings, config) =>
  observed(
    settings,
    clickhouseExporterFactory(await settings.host.get(storeResource)).create(settings, config, undefined),
  ),
);

/** `kafka` exporter: one record per trace; answers once Kafka acknowledged. */
const kafkaExporter = hosted('kafka', kafkaExporterConfig, async (settings, config) => {
  const kafka = await settings.host.get(kafkaResource);
  // Kafka may be down at start: the exporter then answers senders with retryable codes.
  await kafka.ensureTopics([config.topic]).catch((error: unknown) => {
    settings.logger.warn({ err: error }, 'could not check the Kafka topic now; sending will retry');
  });
  // Ready when the brokers answer a metadata request for the topic.
  settings.host.addReadinessCheck(`${settings.id} (topic ${config.topic})`, () =>
    kafka.ensureTopics([config.topic]),
  );
  return observed(settings, kafkaExporterFactory(await kafka.producer()).create(settings, config, undefined));
});

/**
 * `mlflow` exporter. Beside a `clickhouse` exporter in a pipeline it follows it: it gets a batch
 * only once ClickHouse stored it, and uploads from its own bounded queue (its consume never
 * waits; pending uploads are rebuilt from the store after a restart), and the query API's
 * DELETE uses its queue. Alone (fed by a Kafka receiver) it answers once MLflow accepted, so
 * offsets are committed only then; sync states go to the store when the role has one.
 */
const mlflowExporter = hosted(
  'mlflow',
  mlflowExporterConfig,
  async (settings, config: MlflowExporterConfig) => {
    const { host } = settings;
    if (settings.leader) {
      const store = await host.get(storeResource);
      const exporter = mlflowExporterFactory(mlflowStoreDeps(store, await host.get(jobsResource))).create(
        settings,
        config,
        undefined,
      );
      host.provide(mlflowSyncResource, exporter.sync);
      return exporter;
    }
    const store = await host.find(storeResource);
    const deps = store ? mlflowStoreDeps(store, await host.get(jobsResource)) : {};
    return mlflowDirectExporterFactory(deps).create(settings, config, undefined);
  },
  { follows: ['clickhouse'] },
);

/**
 * Every component `llmp` knows, listed once: `service.pipelines` names them by id (`type[/name]`).
 * @example buildService({ config, factories: components, host, logger })
 */
export const components: ComponentFactories = {
  receivers: [otlpReceiverFactory as BuildableFactory, kafkaReceiver],
  processors: [
    batchProcessorFactory as BuildableFactory,
    genAiProcessorFactory as BuildableFactory,
    jobsProcessor,
  ],
  exporters: [clickhouseExporter, kafkaExporter, mlflowExporter],
};
