import { retryable } from './exportError.ts';

/** Sends being made, counted so that shutdown can wait for them. */
export interface InFlight {
  /** Sends running now. */
  readonly count: number;
  /** What they weigh together (bytes, spans: what `run` was given). */
  readonly weight: number;
  /** True once `drain` was called: new sends are refused. */
  readonly closed: boolean;
  /**
   * Runs `send` counted. Refused with a retryable error once closed, and with a retryable
   * `exhausted` one when `weight` would pass maxWeight (unless nothing else is in flight: a
   * send bigger than the bound alone would otherwise never go).
   */
  run<T>(send: () => Promise<T>, weight?: number): Promise<T>;
  /**
   * Stops intake, then resolves once every send in flight settled (true) or when `deadlineMs`
   * went by first (false).
   */
  drain(deadlineMs?: number): Promise<boolean>;
}

/**
 * The in-flight sends of an exporter: a bound on what they weigh and a drain for shutdown, which
 * stops intake first and waits for them up to a deadline (the Collector's shutdown order).
 * @example const inFlight = inFlightDrain({ name: 'Kafka exporter', maxWeight: 64 * 1024 ** 2, unit: 'bytes' }); await inFlight.run(() => producer.send(records), size);
 */
export function inFlightDrain({
  name,
  maxWeight = Number.POSITIVE_INFINITY,
  unit = 'units',
  retryAfterMs = 1000,
}: {
  /** Names the component in refusals. */
  name: string;
  maxWeight?: number;
  /** What a weight counts, for refusals. */
  unit?: string;
  /** The Retry-After hint of a refusal because of the bound. */
  retryAfterMs?: number;
}): InFlight {
  let count = 0;
  let weight = 0;
  let closed = false;
  const waiting = new Set<() => void>();
  return {
    get count() {
      return count;
    },
    get weight() {
      return weight;
    },
    get closed() {
      return closed;
    },
    async run(send, w = 0) {
      if (closed) throw retryable(`${name} is shut down`);
      if (weight > 0 && weight + w > maxWeight) {
        throw retryable(`${name} is full (${weight} ${unit} in flight, at most ${maxWeight})`, {
          reason: 'exhausted',
          retryAfterMs,
        });
      }
      count++;
      weight += w;
      try {
        return await send();
      } finally {
        count--;
        weight -= w;
        if (count === 0) for (const done of waiting) done();
      }
    },
    async drain(deadlineMs = Number.POSITIVE_INFINITY) {
      closed = true;
      if (count === 0) return true;
      return new Promise<boolean>((resolve) => {
        const timer = Number.isFinite(deadlineMs)
          ? setTimeout(() => {
              waiting.delete(done);
              resolve(false);
            }, deadlineMs)
          : undefined;
        timer?.unref();
        const done = () => {
          clearTimeout(timer);
          waiting.delete(done);
          resolve(true);
        };
        waiting.add(done);
      });
    },
  };
}
