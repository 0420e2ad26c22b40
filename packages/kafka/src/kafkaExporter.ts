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
  permanent,
  retryable,
} from '@llmp/pipeline';
import { z } from 'zod';
import type { KafkaProducer } from './kafkaClient.ts';
import { compressionCodecs } from './recordCodecs.ts';
import { OversizedSpanError, type TraceRecord, traceRecords } from './traceRecords.ts';

export const kafkaExporterConfig = z.object({
  topic: z.string().min(1).default('otlp_spans'),
  /** Largest record value; Kafka's default `max.message.bytes` is 1 MiB, so stay under it. */
  maxRecordBytes: byteSize(1_000_000),
  /** A send not acknowledged within this time is answered as retryable (broker down or slow). */
  sendTimeout: duration(10_000),
  /**
   * Bytes sent and not yet acknowledged, at most; more is refused with a retryable error. With
   * the sending queue on, its queueSize bounds instead.
   */
  maxInFlightBytes: byteSize(64 * 1024 ** 2),
  /**
   * The codec record batches are compressed with. Every reader llmp documents (the ingester, a
   * Collector kafkareceiver, the Java client) reads all five; none spends no CPU on it.
   */
  compression: z.enum(compressionCodecs).default('none'),
  /** retryOnFailure, sendingQueue (with 4 consumers) and drainTimeout: see exporterHelperConfig. */
  ...exporterHelperConfig({ numConsumers: 4 }),
});

export type KafkaExporterConfig = z.infer<typeof kafkaExporterConfig>;

/** Header carrying the project the spans belong to (DESIGN.md, topic contract). */
export const projectHeader = 'llmp-project';

/**
 * The `kafka` exporter (gateway side): one record per trace on `otlp_spans`, keyed by trace id,
 * resolving only once Kafka acknowledged every record, so the OTLP sender is answered for data
 * that is durable.
 * @example kafkaExporter(producer, settings, kafkaExporterConfig.parse({}))
 */
export function kafkaExporter(
  producer: KafkaProducer,
  settings: ComponentSettings,
  config: KafkaExporterConfig,
): Component & Consumer<TraceBatch> {
  /** The batch's records, one per trace; an oversized span is a permanent error. */
  function recordsOf(batch: TraceBatch): TraceRecord[] {
    try {
      return traceRecords(batch.wire(), config.maxRecordBytes);
    } catch (error) {
      if (error instanceof OversizedSpanError) throw permanent(error.message, { cause: error });
      throw error;
    }
  }
  /** Records already cut for a batch (to weigh it), sent as cut. */
  const cut = new WeakMap<TraceBatch, TraceRecord[]>();

  /** One send of the batch's records, answered once Kafka acknowledged every one. */
  async function send(batch: TraceBatch): Promise<void> {
    const records = cut.get(batch) ?? recordsOf(batch);
    let timer: NodeJS.Timeout | undefined;
    try {
      const headers = { [projectHeader]: batch.projectId };
      const sent = producer.send(
        config.topic,
        records.map((r) => ({ key: r.key, value: r.value, headers })),
        { compression: config.compression },
      );
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              retryable(`Kafka did not acknowledge within ${config.sendTimeout} ms`, {
                retryAfterMs: 2000,
              }),
            ),
          config.sendTimeout,
        );
      });
      await Promise.race([sent, timedOut]).catch((error: unknown) => {
        // Swallow the late outcome of a timed-out send; the sender already got its answer.
        sent.catch(() => undefined);
        throw error;
      });
    } catch (error) {
      settings.logger.debug({ err: error, records: records.length }, 'Kafka send failed');
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
    settings,
    name: 'Kafka exporter',
    send,
    spanCount: (batch: TraceBatch) => batch.spanCount,
    retryOnFailure: config.retryOnFailure,
    sendingQueue: config.sendingQueue,
    drainTimeout: config.drainTimeout,
    // Bytes sent and not yet acknowledged; the records are cut once, here, and sent as cut.
    inFlight: {
      weigh: (batch: TraceBatch) => {
        const records = recordsOf(batch);
        cut.set(batch, records);
        return records.reduce((n, r) => n + r.value.byteLength, 0);
      },
      max: config.maxInFlightBytes,
      unit: 'bytes awaiting acknowledgement',
    },
    stop: () => producer.close(),
  });
}
