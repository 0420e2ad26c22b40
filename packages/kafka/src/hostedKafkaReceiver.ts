import {
  type Component,
  type Consumer,
  hostedFactory,
  onceShutdown,
  resourceKey,
  type Signal,
  type SignalConsumers,
} from '@llmp/pipeline';
import {
  type KafkaReceiverConfig,
  type KafkaReceiverDeps,
  kafkaReceiver,
  kafkaReceiverConfig,
} from './kafkaReceiver.ts';
import { kafkaResource } from './kafkaResource.ts';
import { kafkaSignalNames, kafkaSignals } from './kafkaSignals.ts';

/** Fault injection for recovery tests: called between a Kafka receiver's insert and its commit. */
export const afterInsertResource = resourceKey<NonNullable<KafkaReceiverDeps['afterInsert']>>('insert hook');

/**
 * The config of the receiver reading one signal: traces use the top-level topic, group and
 * dead-letter topic; logs and metrics their own section, their group defaulting to the traces
 * one with `-logs` / `-metrics` appended.
 * @example signalConfig(config, 'logs').topic // 'otlp_logs'
 */
export function signalConfig(config: KafkaReceiverConfig, signal: Signal): KafkaReceiverConfig {
  if (signal === 'traces') return config;
  const section = config[signal];
  return {
    ...config,
    topic: section.topic,
    groupId: section.groupId ?? `${config.groupId}-${signal}`,
    deadLetterTopic: section.deadLetterTopic,
  };
}

/**
 * The `kafka` receiver as a plain factory. Like the Collector's, one id serves every pipeline
 * naming it: per signal it reads that signal's topic (`otlp_spans`, `otlp_logs`) in its own
 * consumer group, with a dead-letter producer from the host's Kafka clients, the topics made when
 * missing, and readiness checks on each topic and on every partition's progress.
 * Kafka down at start is an outage the receiver rides out (it keeps trying, unready meanwhile);
 * Kafka refusing the login or certificate stops the role at start.
 * @example buildService({ config, factories: { receivers: [hostedKafkaReceiver], … }, host, logger })
 */
export const hostedKafkaReceiver = hostedFactory(
  'kafka',
  kafkaReceiverConfig,
  async (settings, config, next: Consumer<unknown> | SignalConsumers): Promise<Component> => {
    const { host } = settings;
    const kafka = await host.get(kafkaResource);
    const afterInsert = await host.find(afterInsertResource);
    // Built outside buildService (a test), it may get one consumer: the traces pipeline.
    const bySignal: SignalConsumers = 'consume' in next ? { traces: next as Consumer<unknown> } : next;
    const receivers: Component[] = [];
    try {
      for (const [signal, consumer] of Object.entries(bySignal) as Array<[Signal, Consumer<unknown>]>) {
        const codec = kafkaSignals[signal];
        if (!codec) throw new Error(`the kafka receiver carries no ${signal}`);
        const own = signalConfig(config, signal);
        host.addReadinessCheck(`${settings.id} (topic ${own.topic})`, () => kafka.ensureTopics([own.topic]));
        const receiver = kafkaReceiver(
          {
            signal: codec,
            consumer: await kafka.consumer({
              groupId: own.groupId,
              topic: own.topic,
              sessionTimeoutMs: own.sessionTimeout,
              // A fetch can bring a whole insert of each partition (docs/benchmarks.md, "Insert CPU").
              fetchBytesPerPartition: own.maxBatchBytes,
              partitionsAtOnce: own.partitionsAtOnce,
              maxInflatedBatchBytes: own.maxInflatedBatchBytes,
            }),
            producer: await kafka.producer(),
            // Before each attempt to consume, so topics made late still get their partition count.
            prepare: () => kafka.ensureTopics([own.topic, own.deadLetterTopic]),
            ...(afterInsert ? { afterInsert } : {}),
          },
          signal === 'traces' ? settings : { ...settings, logger: settings.logger.child({ signal }) },
          own,
          consumer,
        );
        receivers.push(receiver);
        // 503 while a partition cannot make progress (inserts or dead-letter sends keep failing).
        const name = signal === 'traces' ? settings.id : `${settings.id} ${signal}`;
        host.addReadinessCheck(`${name} (partitions making progress)`, () => receiver.checkProgress());
      }
    } catch (error) {
      await Promise.all(receivers.map((r) => r.shutdown().catch(() => undefined)));
      throw error;
    }
    return {
      async start() {
        for (const receiver of receivers) await receiver.start();
      },
      shutdown: onceShutdown(async () => {
        await Promise.all(receivers.map((r) => r.shutdown()));
      }),
    };
  },
  { signals: kafkaSignalNames, perSignal: true },
);
