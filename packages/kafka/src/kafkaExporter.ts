import type { TraceBatch } from '@llmp/otlp';
import {
  byteSize,
  type Component,
  type ComponentSettings,
  type Consumer,
  duration,
  ExportError,
  exporterHelper,
  exporterHelperConfig,
  onceShutdown,
  permanent,
  retryable,
  type Signal,
} from '@llmp/pipeline';
import { z } from 'zod';
import { coalescingProducer } from './coalescingProducer.ts';
import type { KafkaProducer } from './kafkaClient.ts';
import { kafkaExporterMetrics } from './kafkaExporterMetrics.ts';
import type { KafkaSignal, SignalRecord } from './kafkaSignal.ts';
import { compressionCodecs } from './recordCodecs.ts';
import { traceSignal } from './traceSignal.ts';

/** Where a signal other than traces is written (the Collector's kafkaexporter `logs.topic` …). */
const signalTopic = (topic: string) => z.object({ topic: z.string().min(1).default(topic) }).prefault({});

export const kafkaExporterConfig = z.object({
  /** The traces topic. */
  topic: z.string().min(1).default('otlp_spans'),
  /** Written when a logs pipeline names this exporter. */
  logs: signalTopic('otlp_logs'),
  /** Written when a metrics pipeline names this exporter. */
  metrics: signalTopic('otlp_metrics'),
  /** Largest record value; Kafka's default `max.message.bytes` is 1 MiB, so stay under it. */
  maxRecordBytes: byteSize(1_000_000),
  /** A send not acknowledged within this time is answered as retryable (broker down or slow). */
  sendTimeout: duration(10_000),
  /**
   * Bytes sent and not yet acknowledged, at most, per signal; more is refused with a retryable
   * error. With the sending queue on, its queueSize bounds instead.
   */
  maxInFlightBytes: byteSize(64 * 1024 ** 2),
  /**
   * The codec record batches are compressed with. Every reader llmp documents (the ingester, a
   * Collector kafkareceiver, the Java client) reads all five; none spends no CPU on it.
   */
  compression: z.enum(compressionCodecs).default('none'),
  /**
   * Sends that arrive while one is in flight are merged into one produce request (see
   * coalescingProducer): at most `maxBatchBytes` of one partition's records (the broker's
   * `message.max.bytes` is 1 MiB by default) and `maxRequestBytes` in all; `sendsInFlight`
   * merged sends at a time (each goes to one of `kafka.producerConnections` producers, so more
   * than that many never overlap).
   */
  coalesce: z
    .object({
      /**
       * Off by default: with the gateway's HTTP/2 windows widened and 4 producer connections,
       * merging took 5-10 % off CPU per span but did not raise spans/s (docs/benchmarks.md,
       * gwlatency); before that it lowered them.
       */
      enabled: z.boolean().default(false),
      maxBatchBytes: byteSize(1_000_000),
      maxRequestBytes: byteSize(8 * 1024 ** 2),
      sendsInFlight: z.number().int().min(1).max(5).default(1),
    })
    .prefault({}),
  /** retryOnFailure, sendingQueue (with 4 consumers) and drainTimeout: see exporterHelper. */
  ...exporterHelperConfig({ numConsumers: 4 }),
});

export type KafkaExporterConfig = z.infer<typeof kafkaExporterConfig>;

/** Header carrying the project the spans belong to (DESIGN.md, topic contract). */
export const projectHeader = 'llmp-project';

/** The topic a signal's records go to. */
export function exporterTopic(config: KafkaExporterConfig, signal: Signal): string {
  return signal === 'traces' ? config.topic : config[signal].topic;
}

/**
 * The `kafka` exporter (gateway side): one record per trace on `otlp_spans`, keyed by trace id,
 * and likewise for every other signal given (`otlp_logs` …, see KafkaSignal), resolving only once
 * Kafka acknowledged every record, so the OTLP sender is answered for data that is durable. Each
 * signal has its own bounded sends (in-flight bytes or sending queue, retries, drain), counted
 * under the exporter's id for traces and `<id>:<signal>` for the others.
 * @example kafkaExporter(producer, settings, kafkaExporterConfig.parse({}), [traceSignal, logSignal])
 */
export function kafkaExporter(
  producer: KafkaProducer,
  settings: ComponentSettings,
  config: KafkaExporterConfig,
  signals: readonly KafkaSignal<unknown>[] = [traceSignal as KafkaSignal<unknown>],
): Component & Consumer<TraceBatch> {
  const metrics = kafkaExporterMetrics(settings.registry);
  const labels = { exporter: settings.id };
  const exporters = signals.map((signal) => ({
    signal,
    // A queue per signal: a slow or stuck send of logs never holds up the spans' sends.
    exporter: signalExporter(
      config.coalesce.enabled
        ? coalescingProducer(producer, {
            ...config.coalesce,
            onSend: (callers) => {
              metrics.produceRequests.inc(labels);
              metrics.mergedSends.inc(labels, callers);
            },
          })
        : producer,
      settings,
      config,
      signal,
    ),
  }));
  return {
    async start() {
      for (const { exporter } of exporters) await exporter.start();
    },
    async consume(batch) {
      const found = exporters.find((e) => e.signal.owns(batch));
      if (!found) throw permanent(`${settings.id}: no Kafka topic for this kind of batch`);
      await found.exporter.consume(batch);
    },
    shutdown: onceShutdown(async () => {
      // Stops intake and drains every signal's sends, then closes the one producer they share.
      await Promise.all(exporters.map(({ exporter }) => exporter.shutdown()));
      await producer.close();
    }),
  };
}

function signalExporter<B>(
  producer: KafkaProducer,
  settings: ComponentSettings,
  config: KafkaExporterConfig,
  signal: KafkaSignal<B>,
): Component & Consumer<B> {
  const topic = exporterTopic(config, signal.signal);
  /** Records already cut for a batch (to weigh it), sent as cut. */
  const cut = new WeakMap<object, SignalRecord[]>();

  /** One send of the batch's records, answered once Kafka acknowledged every one. */
  async function send(batch: B): Promise<void> {
    const records = cut.get(batch as object) ?? signal.records(batch, config.maxRecordBytes);
    let timer: NodeJS.Timeout | undefined;
    // Aborted on timeout: records still waiting to be merged into a send are dropped then, so the
    // bytes released from maxInFlightBytes are really gone.
    const gaveUp = new AbortController();
    try {
      const headers = { [projectHeader]: signal.projectOf(batch) };
      const sent = producer.send(
        topic,
        records.map((r) => ({ key: r.key, value: r.value, headers })),
        { compression: config.compression, signal: gaveUp.signal },
      );
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const error = retryable(`Kafka did not acknowledge within ${config.sendTimeout} ms`, {
            retryAfterMs: 2000,
          });
          gaveUp.abort(error);
          reject(error);
        }, config.sendTimeout);
      });
      await Promise.race([sent, timedOut]).catch((error: unknown) => {
        // Swallow the late outcome of a timed-out send; the sender already got its answer.
        sent.catch(() => undefined);
        throw error;
      });
    } catch (error) {
      settings.logger.debug({ err: error, records: records.length, topic }, 'Kafka send failed');
      if (error instanceof ExportError) throw error;
      throw retryable(`Kafka send failed: ${(error as Error).message}`, {
        cause: error,
        retryAfterMs: 2000,
      });
    } finally {
      clearTimeout(timer);
    }
  }

  return exporterHelper({
    settings: signal.signal === 'traces' ? settings : { ...settings, id: `${settings.id}:${signal.signal}` },
    name: signal.signal === 'traces' ? 'Kafka exporter' : `Kafka exporter (${signal.signal})`,
    send,
    spanCount: (batch: B) => signal.count(batch),
    retryOnFailure: config.retryOnFailure,
    sendingQueue: config.sendingQueue,
    drainTimeout: config.drainTimeout,
    // Bytes sent and not yet acknowledged; the records are cut once, here, and sent as cut.
    inFlight: {
      weigh: (batch: B) => {
        const records = signal.records(batch, config.maxRecordBytes);
        cut.set(batch as object, records);
        return records.reduce((n, r) => n + r.value.byteLength, 0);
      },
      max: config.maxInFlightBytes,
      unit: 'bytes awaiting acknowledgement',
    },
  });
}
