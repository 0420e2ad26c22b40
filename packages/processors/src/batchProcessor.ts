import { mergeMeta, type TraceBatch, type TraceRequest, traceBatch } from '@llmp/otlp';
import {
  type Component,
  type Consumer,
  duration,
  onceShutdown,
  type ProcessorFactory,
  permanent,
  retryable,
  toExportError,
} from '@llmp/pipeline';
import PQueue from 'p-queue';
import { z } from 'zod';
import { batchProcessorMetrics } from './batchProcessorMetrics.ts';

export const batchProcessorConfig = z.object({
  /** A batch is sent once it holds this many spans... */
  sendBatchSize: z.number().int().positive().default(8192),
  /** ...or once its first span has waited this long. */
  timeout: duration(200),
  /** Spans held or in flight at most; beyond it intake is refused with a retryable error. */
  maxPendingSpans: z.number().int().positive().default(200_000),
  /**
   * Exports running at once. One: while it runs, the requests that arrive gather into the next
   * batch, so an INSERT holds everything in flight. Each INSERT into the embedded store costs a
   * fixed ~45 ms of CPU (six parts: spans and its five views) before ~10 µs per span, so two
   * half-size exports cost more: with 4 senders of 512 spans, 0.82x the CPU per span and 1.37x
   * the spans/s of two (docs/benchmarks.md, "All-in-one and ingester cost", issue 21).
   */
  exportConcurrency: z.number().int().positive().default(1),
  /**
   * How long a batch that holds every request the pipeline holds still waits for the requests
   * the last export answered, while fewer of them are back. Senders answered by one INSERT come
   * back a few ms apart: sent at once, the first one back goes alone into an INSERT that costs
   * about as much as one of all of them (the engine's cost per INSERT is mostly fixed), and the
   * others wait behind it. With 4 telemetrygen senders of 512 spans: 15.8 k spans/s at 68 CPU-s
   * per million against 11.7 k at 97. When senders come back slower than this, a longer wait
   * makes fewer, larger INSERTs (less CPU per span) for a later answer (docs/benchmarks.md,
   * "Where an all-in-one round trip goes", issue 21). A single sender never waits; 0: off.
   */
  returnWait: duration(25),
});

export type BatchProcessorConfig = z.infer<typeof batchProcessorConfig>;

interface Waiting {
  batch: TraceBatch;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Joins the batches of one project into one request. Each is decoded alone first: one that does
 * not decode is refused alone with a permanent error and left out, so one sender's bad request
 * never fails the requests merged with it (issue 16, item 1). The merged request holds the very
 * span objects of its parts, so their metadata (GenAI fields keyed by span) joins as it is.
 */
function merge(projectId: string, items: Waiting[]): { batch?: TraceBatch; merged: Waiting[] } {
  if (items.length === 1) return { batch: items[0]!.batch, merged: items };
  const merged: Waiting[] = [];
  const resourceSpans: TraceRequest['resourceSpans'] = [];
  for (const item of items) {
    try {
      resourceSpans.push(...item.batch.request().resourceSpans);
      merged.push(item);
    } catch (error) {
      item.reject(permanent(`request cannot be decoded: ${(error as Error).message}`, { cause: error }));
    }
  }
  if (merged.length === 0) return { merged };
  const spanCount = merged.reduce((n, w) => n + w.batch.spanCount, 0);
  const meta = mergeMeta(merged.map((w) => w.batch.meta));
  return { batch: traceBatch({ projectId, request: { resourceSpans }, spanCount, meta }), merged };
}

/**
 * The `batch` processor: gathers batches until `sendBatchSize` spans or `timeout`, sends them on
 * with bounded concurrency, and resolves each caller once its spans were exported, so the
 * receiver answers a sender only for data that is stored. Bounded by `maxPendingSpans`.
 * @example const batch = batchProcessorFactory.create(settings, batchProcessorConfig.parse({}), exporter);
 */
export const batchProcessorFactory: ProcessorFactory<BatchProcessorConfig, TraceBatch> = {
  type: 'batch',
  configSchema: batchProcessorConfig,
  create(settings, config, next: Consumer<TraceBatch>): Component & Consumer<TraceBatch> {
    const queue = new PQueue({ concurrency: config.exportConcurrency });
    const metrics = batchProcessorMetrics(settings.registry);
    const labels = { processor: settings.id };
    metrics.pendingSpansCapacity.set(labels, config.maxPendingSpans);
    metrics.pendingSpans.set(labels, 0);
    let buffer: Waiting[] = [];
    let bufferedSpans = 0;
    let pendingSpans = 0;
    let timer: NodeJS.Timeout | undefined;
    let accepting = true;
    /** Requests this processor holds: buffered or in an export, until answered. */
    let heldRequests = 0;
    /** Requests the last export answered, and when: they may be on their way back. */
    let answered = 0;
    let answeredAt = 0;
    /** Requests that reached the buffer since then. */
    let returned = 0;
    let returnTimer: NodeJS.Timeout | undefined;
    const intake = settings.intake;

    /**
     * Sends the buffer early when nothing else is on its way: every request the pipeline holds is
     * already here (waiting for `timeout` would only delay the answer, issue 21), and an export
     * slot is free (while every slot is busy, requests keep gathering into the next batch).
     */
    function flushIfAllHere(): void {
      if (!intake || buffer.length === 0) return;
      if (queue.pending + queue.size >= config.exportConcurrency) return;
      if (intake.held > heldRequests) return;
      if (returned < answered && config.returnWait > 0) {
        const wait = answeredAt + config.returnWait - performance.now();
        if (wait > 0) {
          returnTimer ??= setTimeout(() => {
            returnTimer = undefined;
            answered = 0;
            flushIfAllHere();
          }, wait);
          return;
        }
      }
      flush();
    }
    const off = intake?.onSettle(flushIfAllHere);
    // The export slot is free only once p-queue has counted this task out, a few microtasks after
    // it ended: its `next` event says so (a check queued at the task's end ran too early and left
    // the requests gathered meanwhile to the timeout, unless a request settling came later).
    queue.addEventListener('next', flushIfAllHere);

    function flush(): void {
      if (timer) clearTimeout(timer);
      timer = undefined;
      if (returnTimer) clearTimeout(returnTimer);
      returnTimer = undefined;
      if (buffer.length === 0) return;
      const items = buffer;
      buffer = [];
      bufferedSpans = 0;
      /** Requests of this flush answered so far: the next batch may wait for them to come back. */
      let answeredOfFlush = 0;
      // Batches join per project. A batch with a dedup token is sent alone, as it came: its token
      // names exactly its records (the Kafka receiver's topic/partition/offset range), and a
      // redelivery rebuilds the same batch with the same token only if no merge, which depends
      // on timing, changed what the INSERT holds; a merged token would make ClickHouse's insert
      // deduplication miss the redelivery and store its rows twice.
      const groups: { projectId: string; group: Waiting[] }[] = [];
      const byProject = new Map<string, Waiting[]>();
      for (const item of items) {
        const { projectId } = item.batch;
        if (item.batch.meta.dedupToken !== undefined) {
          groups.push({ projectId, group: [item] });
          continue;
        }
        let list = byProject.get(projectId);
        if (!list) {
          list = [];
          byProject.set(projectId, list);
          groups.push({ projectId, group: list });
        }
        list.push(item);
      }
      for (const { projectId, group } of groups) {
        const spans = group.reduce((n, w) => n + w.batch.spanCount, 0);
        metrics.batchSize.observe(labels, spans);
        void queue.add(async () => {
          let merged = group;
          try {
            const joined = merge(projectId, group);
            merged = joined.merged;
            if (joined.batch) await next.consume(joined.batch);
            for (const w of merged) w.resolve();
            answeredOfFlush += merged.length;
            answered = answeredOfFlush;
            answeredAt = performance.now();
            returned = 0;
          } catch (caught) {
            const error = toExportError(caught);
            settings.logger.warn({ err: error, kind: error.kind, spans }, 'batch export failed');
            for (const w of merged) w.reject(error);
          } finally {
            pendingSpans -= spans;
            heldRequests -= group.length;
            metrics.pendingSpans.set(labels, pendingSpans);
          }
        });
      }
    }

    return {
      async start() {},
      consume(batch) {
        if (!accepting) return Promise.reject(retryable('shutting down', { reason: 'unavailable' }));
        if (batch.spanCount === 0) return Promise.resolve();
        // A request larger than the whole bound would be refused as "full" for ever: a sender
        // retrying it never gets through, so it is refused for good, with the bound in the message.
        if (batch.spanCount > config.maxPendingSpans) {
          return Promise.reject(
            permanent(
              `request of ${batch.spanCount} spans is larger than the pipeline's bound of ${config.maxPendingSpans} pending spans (processors.batch.maxPendingSpans); split it`,
              { tooLarge: true },
            ),
          );
        }
        if (pendingSpans + batch.spanCount > config.maxPendingSpans) {
          return Promise.reject(
            retryable(`batch queue full (${pendingSpans} spans pending)`, {
              reason: 'exhausted',
              retryAfterMs: 1000,
            }),
          );
        }
        return new Promise<void>((resolve, reject) => {
          buffer.push({ batch, resolve, reject });
          heldRequests++;
          returned++;
          bufferedSpans += batch.spanCount;
          pendingSpans += batch.spanCount;
          metrics.pendingSpans.set(labels, pendingSpans);
          if (bufferedSpans >= config.sendBatchSize) flush();
          else {
            timer ??= setTimeout(flush, config.timeout);
            flushIfAllHere();
          }
        });
      },
      shutdown: onceShutdown(async () => {
        accepting = false;
        off?.();
        flush();
        await queue.onIdle();
        queue.removeEventListener('next', flushIfAllHere);
      }),
    };
  },
};
