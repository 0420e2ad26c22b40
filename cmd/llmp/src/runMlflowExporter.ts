import { migrate, openStore } from '@llmp/clickhouse';
import { mlflowDirectExporterFactory } from '@llmp/exporter-mlflow';
import { jobStore } from '@llmp/jobs';
import { type KafkaClients, kafkaReceiverFactory } from '@llmp/kafka';
import { type Logger, pipeline } from '@llmp/pipeline';
import { mlflowStoreDeps } from './mlflowStoreDeps.ts';
import type { MlflowExporterRoleConfig } from './roleConfigs.ts';
import type { Running } from './runStart.ts';

/**
 * `llmp mlflow-exporter`: `otlp_spans` → MLflow in its own consumer group. The Kafka receiver
 * commits offsets only after MLflow accepted a batch, backs off on retryable answers and puts
 * records MLflow refuses for good on the dead-letter topic with the reason. With a ClickHouse
 * server configured, sync states go to its `mlflow_sync` and job names come from its jobs table.
 * @example const running = await runMlflowExporter(config, { kafka, logger });
 */
export async function runMlflowExporter(
  config: MlflowExporterRoleConfig,
  { kafka, logger }: { kafka: KafkaClients; logger: Logger },
): Promise<Running> {
  const settings = (id: string) => ({ id, logger: logger.child({ component: id }) });
  const receiverConfig = config.receivers.kafka;
  // A request to MLflow blocks the partition's heartbeats: one that outlives the session would
  // get the member dropped from the group while MLflow hangs, so it is cut at half the session.
  const mlflowConfig = {
    ...config.exporters.mlflow,
    requestTimeout: Math.min(config.exporters.mlflow.requestTimeout, receiverConfig.sessionTimeout / 2),
  };
  // Only a server is shared: an embedded store belongs to the process that opened it.
  const store = config.clickhouse.url ? await openStore({ ...config.clickhouse }) : undefined;
  try {
    if (store) await migrate(store);
    const deps = store ? mlflowStoreDeps(store, jobStore(store)) : {};
    const exporter = mlflowDirectExporterFactory(deps).create(settings('mlflow'), mlflowConfig, undefined);
    await kafka.ensureTopics([receiverConfig.topic, receiverConfig.deadLetterTopic]);
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
    }).create(settings('kafka'), receiverConfig, exporter);
    const traces = pipeline({ receivers: [receiver], processors: [], exporters: [exporter] });
    await traces.start();
    logger.info(
      { trackingUri: config.exporters.mlflow.trackingUri, syncStates: store?.location ?? 'not kept' },
      'uploading otlp_spans to MLflow',
    );
    return {
      async stop() {
        await traces.shutdown();
        await store?.close();
      },
    };
  } catch (error) {
    await store?.close();
    throw error;
  }
}
