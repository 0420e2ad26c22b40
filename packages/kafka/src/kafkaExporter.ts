import type { TraceBatch } from '@llmp/otlp';
import {
  byteSize,
  type Component,
  type Consumer,
  duration,
  ExportError,
  type ExporterFactory,
  onceShutdown,
  permanent,
  retryable,
} from '@llmp/pipeline';
import { z } from 'zod';
import type { KafkaProducer } from './kafkaClient.ts';
import { compressionCodecs } from './recordCodecs.ts';
import { OversizedSpanError, traceRecords } from './traceRecords.ts';

export const kafkaExporterConfig = z.object({
  topic: z.string().min(1).default('otlp_spans'),
  /** Largest record value; Kafka's default `max.message.bytes` is 1 MiB, so stay under it. */
  maxRecordBytes: byteSize(1_000_000),
  /** A send not acknowledged within this time is answered as retryable (broker down or slow). */
  sendTimeout: duration(10_000),
  /** Bytes sent and not yet acknowledged, at most; more is refused with a retryable error. */
  maxInFlightBytes: byteSize(64 * 1024 ** 2),
  /**
   * The codec record batches are compressed with. Every reader llmp documents (the ingester, a
   * Collector kafkareceiver, the Java client) reads all five; none spends no CPU on it.
   */
  compression: z.enum(compressionCodecs).default('none'),
});

export type KafkaExporterConfig = z.infer<typeof kafkaExporterConfig>;

/** Header carrying the project the spans belong to (DESIGN.md, topic contract). */
export const projectHeader = 'llmp-project';

/**
 * The `kafka` exporter (gateway side): one record per trace on `otlp_spans`, keyed by trace id,
 * resolving only once Kafka acknowledged every record, so the OTLP sender is answered for data
 * that is durable.
 * @example kafkaExporterFactory(producer).create(settings, kafkaExporterConfig.parse({}), undefined)
 */
export function kafkaExporterFactory(
  producer: KafkaProducer,
): ExporterFactory<KafkaExporterConfig, TraceBatch> {
  return {
    type: 'kafka',
    configSchema: kafkaExporterConfig,
    create(settings, config): Component & Consumer<TraceBatch> {
      let inFlightBytes = 0;
      let inFlight = 0;
      let stopping = false;
      let drained: (() => void) | undefined;
      return {
        async start() {},
        async consume(batch) {
          if (stopping) throw retryable('Kafka exporter is shut down');
          let records: ReturnType<typeof traceRecords>;
          try {
            records = traceRecords(batch.wire(), config.maxRecordBytes);
          } catch (error) {
            if (error instanceof OversizedSpanError) throw permanent(error.message, { cause: error });
            throw error;
          }
          const size = records.reduce((n, r) => n + r.value.byteLength, 0);
          if (inFlightBytes > 0 && inFlightBytes + size > config.maxInFlightBytes) {
            throw retryable(`Kafka send queue full (${inFlightBytes} bytes awaiting acknowledgement)`, {
              reason: 'exhausted',
              retryAfterMs: 1000,
            });
          }
          inFlightBytes += size;
          inFlight++;
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
            inFlightBytes -= size;
            inFlight--;
            if (inFlight === 0) drained?.();
          }
        },
        shutdown: onceShutdown(async () => {
          stopping = true;
          if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
          await producer.close();
        }),
      };
    },
  };
}
