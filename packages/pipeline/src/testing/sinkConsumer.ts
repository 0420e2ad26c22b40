import type { Consumer } from '../component.ts';

/** An in-memory next consumer: keeps what it is given, throws `failWith`, or holds calls until released. */
export interface SinkConsumer<T> extends Consumer<T> {
  /** Everything consumed so far, in order. */
  received: T[];
  /** While set, every call rejects with it and keeps nothing. */
  failWith: unknown;
  /** Calls made, kept or not. */
  calls(): number;
  /** Holds every call from now on until `release()` (to see what waits behind a slow exporter). */
  hold(): void;
  release(): void;
}

/**
 * The exporter's stand-in for a component's unit tests (never for the integration suites).
 * @example const sink = sinkConsumer<TraceBatch>(); const receiver = factory.create(nopSettings(), config, sink);
 */
export function sinkConsumer<T>(): SinkConsumer<T> {
  const received: T[] = [];
  let calls = 0;
  let held: Promise<void> | undefined;
  let release: (() => void) | undefined;
  const sink: SinkConsumer<T> = {
    received,
    failWith: undefined,
    calls: () => calls,
    hold() {
      held = new Promise((resolve) => (release = resolve));
    },
    release() {
      release?.();
      held = undefined;
    },
    async consume(data) {
      calls++;
      if (held) await held;
      if (sink.failWith !== undefined) throw sink.failWith;
      received.push(data);
    },
  };
  return sink;
}
