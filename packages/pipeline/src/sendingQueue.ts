import { Counter, Gauge, Registry } from 'prom-client';
import { z } from 'zod';

/** How a sending queue counts what it holds against queueSize. */
export type QueueSizer = 'batches' | 'spans' | 'traces';

/** The Collector's `sending_queue`: batches wait here and `numConsumers` workers send them. */
export interface SendingQueue {
  /** Off: `consume` sends and answers with the outcome (the sender's own retry holds the data). */
  enabled: boolean;
  /** The bound, in `sizer` units; past it new data is refused with a retryable error. */
  queueSize: number;
  /** Workers sending from the queue at once. */
  numConsumers: number;
  sizer: QueueSizer;
}

/**
 * The config of `sendingQueue`, in the shape of the Collector's exporterhelper `sending_queue`,
 * with a component's defaults and the sizers it supports (the first is the default).
 * @example z.object({ sendingQueue: sendingQueueConfig({ enabled: false, queueSize: 100_000 }, ['spans', 'batches']) })
 */
export function sendingQueueConfig(
  defaults: Partial<Omit<SendingQueue, 'sizer'>> = {},
  sizers: readonly [QueueSizer, ...QueueSizer[]] = ['batches', 'spans'],
) {
  return z
    .object({
      enabled: z.boolean().default(defaults.enabled ?? false),
      queueSize: z
        .number()
        .int()
        .positive()
        .default(defaults.queueSize ?? 1000),
      numConsumers: z
        .number()
        .int()
        .positive()
        .max(64)
        .default(defaults.numConsumers ?? 4),
      sizer: z.enum(sizers as [QueueSizer, ...QueueSizer[]]).default(sizers[0]),
    })
    .prefault({});
}

/** A FIFO with a bound: what does not fit is refused (the caller answers retryable), never dropped. */
export interface BoundedQueue<T> {
  /** What the queue holds, in its sizer's units. */
  readonly size: number;
  readonly length: number;
  readonly capacity: number;
  /** Appends the item; false (and counted as refused) when it does not fit. */
  offer(item: T): boolean;
  /** The oldest item, removed. */
  take(): T | undefined;
  /**
   * Removes and returns, oldest first, up to `max` items `decide` takes; `stop` ends the search
   * (e.g. at an item that must not be overtaken).
   */
  takeMatching(decide: (item: T) => 'take' | 'skip' | 'stop', max: number): T[];
  /** Removes an item that is no longer wanted; false when it was not queued. */
  remove(item: T): boolean;
  /** Removes and returns everything (shutdown). */
  takeAll(): T[];
}

/** A metric, registered once per registry however many queues report to it. */
function metric<M>(registry: Registry, name: string, make: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? make();
}

/** The queue's self-metrics, declared beside it (the Collector's otelcol_exporter_queue_*). */
export function queueMetrics(registry: Registry = new Registry()) {
  const registers = [registry];
  return {
    size: metric(
      registry,
      'llmp_exporter_queue_size',
      () =>
        new Gauge({
          name: 'llmp_exporter_queue_size',
          help: 'What an exporter sending queue holds, in its sizer units (batches, spans or traces)',
          labelNames: ['exporter'] as const,
          registers,
        }),
    ),
    capacity: metric(
      registry,
      'llmp_exporter_queue_capacity',
      () =>
        new Gauge({
          name: 'llmp_exporter_queue_capacity',
          help: 'The bound of an exporter sending queue (queueSize), in its sizer units',
          labelNames: ['exporter'] as const,
          registers,
        }),
    ),
    refused: metric(
      registry,
      'llmp_exporter_enqueue_failed_spans_total',
      () =>
        new Counter({
          name: 'llmp_exporter_enqueue_failed_spans_total',
          help: 'Spans an exporter sending queue refused because it was full (answered as retryable)',
          labelNames: ['exporter'] as const,
          registers,
        }),
    ),
  };
}

/**
 * A bounded FIFO counted in the units `sizeOf` gives (1 per batch, its spans, …), reporting its
 * fill and its refusals under `exporter` (llmp_exporter_queue_size, _capacity,
 * llmp_exporter_enqueue_failed_spans_total).
 * @example const queue = boundedQueue<TraceBatch>({ capacity: 1000, sizeOf: (b) => b.spanCount, spansOf: (b) => b.spanCount, exporter: 'clickhouse', registry });
 */
export function boundedQueue<T>({
  capacity,
  sizeOf = () => 1,
  spansOf = () => 0,
  exporter,
  registry,
}: {
  capacity: number;
  sizeOf?: (item: T) => number;
  /** Spans an item holds, for the refusal counter. */
  spansOf?: (item: T) => number;
  exporter: string;
  registry?: Registry | undefined;
}): BoundedQueue<T> {
  const items: T[] = [];
  const sizes = new Map<T, number>();
  let size = 0;
  const metrics = queueMetrics(registry);
  metrics.capacity.set({ exporter }, capacity);
  metrics.size.set({ exporter }, 0);
  const removed = (item: T) => {
    size -= sizes.get(item) ?? 0;
    sizes.delete(item);
    metrics.size.set({ exporter }, size);
    return item;
  };
  return {
    get size() {
      return size;
    },
    get length() {
      return items.length;
    },
    capacity,
    offer(item) {
      const itemSize = sizeOf(item);
      // An item bigger than the whole bound still goes into an empty queue: it would never fit.
      if (itemSize > 0 && size > 0 && size + itemSize > capacity) {
        metrics.refused.inc({ exporter }, spansOf(item));
        return false;
      }
      items.push(item);
      sizes.set(item, itemSize);
      size += itemSize;
      metrics.size.set({ exporter }, size);
      return true;
    },
    take() {
      const item = items.shift();
      return item === undefined ? undefined : removed(item);
    },
    takeMatching(decide, max) {
      const taken: T[] = [];
      for (let i = 0; i < items.length && taken.length < max; ) {
        const verdict = decide(items[i]!);
        if (verdict === 'stop') break;
        if (verdict === 'take') taken.push(removed(items.splice(i, 1)[0]!));
        else i++;
      }
      return taken;
    },
    remove(item) {
      const at = items.indexOf(item);
      if (at < 0) return false;
      items.splice(at, 1);
      removed(item);
      return true;
    },
    takeAll() {
      const all = items.splice(0);
      for (const item of all) removed(item);
      return all;
    },
  };
}
