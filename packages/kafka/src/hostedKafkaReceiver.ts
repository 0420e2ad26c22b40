import type { TraceBatch } from '@llmp/otlp';
import { type Consumer, hostedFactory, resourceKey } from '@llmp/pipeline';
import { type KafkaReceiverDeps, kafkaReceiver, kafkaReceiverConfig } from './kafkaReceiver.ts';
import { kafkaResource } from './kafkaResource.ts';

/** Fault injection for recovery tests: called between a Kafka receiver's insert and its commit. */
export const afterInsertResource = resourceKey<NonNullable<KafkaReceiverDeps['afterInsert']>>('insert hook');

/**
 * The `kafka` receiver as a plain factory: a consumer and a dead-letter producer from the host's
 * Kafka clients, the topics made when missing, and readiness checks on the topic and on every partition's progress.
 * Kafka down at start is an outage the receiver rides out (it keeps trying, unready meanwhile);
 * Kafka refusing the login or certificate stops the role at start.
 * @example buildService({ config, factories: { receivers: [hostedKafkaReceiver], … }, host, logger })
 */
export const hostedKafkaReceiver = hostedFactory(
  'kafka',
  kafkaReceiverConfig,
  async (settings, config, next: Consumer<TraceBatch>) => {
    const { host } = settings;
    const kafka = await host.get(kafkaResource);
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
        // Before each attempt to consume, so topics made late still get their partition count.
        prepare: () => kafka.ensureTopics([config.topic, config.deadLetterTopic]),
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
