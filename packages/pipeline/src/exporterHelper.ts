import type { Component, ComponentSettings, Consumer } from './component.ts';
import { duration } from './configSchema.ts';
import { type ExportError, retryable, toExportError } from './exportError.ts';
import { exporterMetrics } from './exporterMetrics.ts';
import { inFlightDrain } from './inFlightDrain.ts';
import { onceShutdown } from './onceShutdown.ts';
import {
  type RetryOnFailure,
  type RetryOutcome,
  retryOnFailureConfig,
  retryWithBackoff,
} from './retryOnFailure.ts';
import { boundedQueue, type SendingQueue, sendingQueueConfig } from './sendingQueue.ts';

/**
 * The config keys an exporter made with exporterHelper takes, to spread into its zod schema,
 * with the defaults of an exporter that answers its sender with the outcome: `retryOnFailure`
 * off (the sender, an OTLP SDK or the Kafka receiver, retries the same data), `sendingQueue` off
 * (on, the sender is answered once its spans are queued, stored later or counted as failed),
 * `drainTimeout` 30 s (how long shutdown waits for sends in flight and queued batches).
 * @example export const clickhouseExporterConfig = z.object({ table: …, ...exporterHelperConfig({ numConsumers: 2 }) });
 */
export function exporterHelperConfig({ numConsumers = 4 }: { numConsumers?: number } = {}) {
  return {
    retryOnFailure: retryOnFailureConfig({ enabled: false, initialInterval: 1000, maxElapsedTime: 60_000 }),
    sendingQueue: sendingQueueConfig({ enabled: false, queueSize: 100_000, numConsumers }, [
      'spans',
      'batches',
    ]),
    drainTimeout: duration(30_000),
  };
}

export interface ExporterHelperOptions<T> {
  settings: Pick<ComponentSettings, 'id' | 'logger' | 'registry'>;
  /** Names the exporter in errors and logs, e.g. `ClickHouse exporter`. */
  name: string;
  /** One attempt at sending a batch; rejects with an ExportError (its kind decides a retry). */
  send: (batch: T) => Promise<void>;
  /** Spans a batch holds (metrics, the `spans` sizer). */
  spanCount: (batch: T) => number;
  retryOnFailure: RetryOnFailure;
  sendingQueue: SendingQueue;
  /** How long shutdown waits for queued and in-flight sends before giving up on them. */
  drainTimeout: number;
  /**
   * A bound on what sends in flight weigh together (e.g. bytes awaiting Kafka's acknowledgement),
   * past which a sender is refused with a retryable `exhausted` error; without a queue only.
   */
  inFlight?: { weigh: (batch: T) => number; max: number; unit: string };
  /** Runs at start (e.g. applying table settings). */
  start?: () => Promise<void>;
  /** Runs at the end of shutdown, once the sends are done (e.g. closing a producer). */
  stop?: () => Promise<void>;
}

/**
 * An exporter made of one `send`, with what the Collector's exporterhelper adds around it: retry
 * with backoff (`retryOnFailure`), an optional bounded sending queue (`sendingQueue`; full →
 * retryable `exhausted`, counted), and a shutdown that stops intake and drains queued and
 * in-flight sends up to `drainTimeout`. Counts llmp_exporter_sent_spans_total and
 * llmp_exporter_send_failed_spans_total{kind} under the exporter's id.
 * Without a queue `consume` answers with the send's outcome (after its retries); with one it
 * answers once the batch is queued, and a batch whose retries run out is counted and logged.
 * @example const exporter = exporterHelper({ settings, name: 'ClickHouse exporter', send: insert, spanCount: (b) => b.spanCount, retryOnFailure: config.retryOnFailure, sendingQueue: config.sendingQueue, drainTimeout: config.drainTimeout });
 */
export function exporterHelper<T>({
  settings,
  name,
  send,
  spanCount,
  retryOnFailure,
  sendingQueue,
  drainTimeout,
  inFlight: bound,
  start,
  stop,
}: ExporterHelperOptions<T>): Component & Consumer<T> {
  const { logger } = settings;
  const exporter = settings.id;
  const metrics = exporterMetrics(settings.registry);
  // With a queue its workers bound the sends (numConsumers) and the queue bounds the data: a
  // weight bound there would make a worker give a queued batch up instead of answering a sender.
  const weigh = sendingQueue.enabled ? undefined : bound?.weigh;
  const inFlight = inFlightDrain({
    name,
    ...(bound && weigh ? { maxWeight: bound.max, unit: bound.unit } : {}),
  });
  const stopped = new AbortController();
  const queue = sendingQueue.enabled
    ? boundedQueue<T>({
        capacity: sendingQueue.queueSize,
        sizeOf: sendingQueue.sizer === 'spans' ? spanCount : () => 1,
        spansOf: spanCount,
        exporter,
        registry: settings.registry,
      })
    : undefined;
  let workers = 0;
  let accepting = true;
  let idle: (() => void) | undefined;

  /** Sends with retries; resolves or rejects with the last error, counted either way. */
  async function sendRetried(batch: T): Promise<void> {
    let outcome: RetryOutcome<void>;
    try {
      const weight = weigh?.(batch) ?? 0;
      outcome = await inFlight.run(
        () =>
          retryWithBackoff(() => send(batch), {
            policy: retryOnFailure,
            signal: stopped.signal,
            onRetry: ({ attempts, error, delayMs }) => {
              if (attempts === 1 || attempts % 10 === 0)
                logger.warn({ err: error, attempts, retryInMs: delayMs }, `${name}: send failed; retrying`);
            },
          }),
        weight,
      );
    } catch (caught) {
      // Refused before sending: the batch cannot be cut (permanent), or no room in flight.
      outcome = { ok: false, attempts: 0, error: toExportError(caught), gaveUp: 'disabled' };
    }
    if (outcome.ok) {
      metrics.exporterSentSpans.inc({ exporter }, spanCount(batch));
      return;
    }
    metrics.exporterFailedSpans.inc({ exporter, kind: outcome.error.kind }, spanCount(batch));
    throw gaveUpError(outcome.error, outcome.gaveUp, outcome.attempts);
  }

  function gaveUpError(error: ExportError, gaveUp: string, attempts: number): ExportError {
    if (gaveUp === 'expired') {
      return retryable(`${name} gave up after ${attempts} attempts: ${error.message}`, {
        cause: error,
        ...(error.reason ? { reason: error.reason } : {}),
        ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
      });
    }
    return error;
  }

  function pump(): void {
    if (!queue) return;
    while (workers < sendingQueue.numConsumers && queue.length > 0 && !stopped.signal.aborted) {
      const batch = queue.take()!;
      workers++;
      void sendRetried(batch)
        .catch((error: unknown) =>
          // Counted in llmp_exporter_send_failed_spans_total; one line per batch, not per span.
          logger.warn({ err: error }, `${name}: a queued batch could not be sent`),
        )
        .finally(() => {
          workers--;
          pump();
          if (workers === 0 && queue.length === 0) idle?.();
        });
    }
  }

  return {
    async start() {
      await start?.();
    },
    async consume(batch) {
      if (!accepting) throw retryable(`${name} is shut down`);
      if (!queue) return sendRetried(batch);
      if (!queue.offer(batch)) {
        throw retryable(`${name}: sending queue full (${queue.size} ${sendingQueue.sizer} waiting)`, {
          reason: 'exhausted',
          retryAfterMs: 1000,
        });
      }
      pump();
    },
    shutdown: onceShutdown(async () => {
      const deadline = Date.now() + drainTimeout;
      // Intake stops first; then what is queued goes out while there is time.
      accepting = false;
      if (queue && (workers > 0 || queue.length > 0)) {
        await new Promise<void>((resolve) => {
          idle = resolve;
          setTimeout(resolve, drainTimeout).unref();
        });
      }
      const done = await inFlight.drain(Math.max(0, deadline - Date.now()));
      // Retries waiting now stop at once.
      stopped.abort();
      const left = queue?.takeAll() ?? [];
      if (left.length > 0) {
        metrics.exporterFailedSpans.inc(
          { exporter, kind: 'retryable' },
          left.reduce((n, b) => n + spanCount(b), 0),
        );
      }
      if (!done || left.length > 0) {
        logger.warn(
          { inFlight: inFlight.count, notSent: left.length, drainTimeout },
          `${name} stopped before every batch was sent`,
        );
      }
      await stop?.();
    }),
  };
}
