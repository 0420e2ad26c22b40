import type { TraceBatch } from '@llmp/otlp';
import { type Consumer, hostedFactory, resourceKey } from '@llmp/pipeline';
import { type KafkaReceiverDeps, kafkaReceiver, kafkaReceiverConfig } from './kafkaReceiver.ts';
import { kafkaResource } from './kafkaResource.ts';

/** Fault injection for recovery tests: called between a Kafka receiver's insert and its commit. */
export const afterInsertResource = resourceKey<NonNullable<KafkaReceiverDeps['afterInsert']>>('insert hook');

/**
 * The `kafka` receiver as a plain factory: a consumer and a dead-letter producer from the host's
 * Kafka clients, the topics made when missing, and readiness checks on the topic and on every partition's progress.
 * @example buildService({ config, factories: { receivers: [hostedKafkaReceiver], … }, host, logger })
 */
export const hostedKafkaReceiver = hostedFactory(
  'kafka',
  kafkaReceiverConfig,
  async (settings, config, next: Consumer<TraceBatch>) => {
    const { host } = settings;
    const kafka = await host.get(kafkaResource);
    await kafka.ensureTopics([config.topic, config.deadLetterTopic]);
    host.addReadinessCheck(`${settings.id} (topic ${config.topic})`, () =>
      kafka.ensureTopics([config.topic]),
    );
    const afterInsert = await host.find(afterInsertResource);
    const receiver = kafkaReceiver(
      {
        consumer: await kafka.consumer({
          groupId: config.groupId,
          topic: config.topic,
          sessionTimeoutMs: config.sessionTimeout,
          // A fetch can bring a whole insert of each partition (docs/benchmarks.md, "Insert CPU").
          fetchBytesPerPartition: config.maxBatchBytes,
          partitionsAtOnce: config.partitionsAtOnce,
          maxInflatedBatchBytes: config.maxInflatedBatchBytes,
        }),
        producer: await kafka.producer(),
        ...(afterInsert ? { afterInsert } : {}),
      },
      settings,
      config,
      next,
    );
    // 503 while a partition cannot make progress (inserts or dead-letter sends keep failing).
    host.addReadinessCheck(`${settings.id} (partitions making progress)`, () => receiver.checkProgress());
    return receiver;
  },
);
