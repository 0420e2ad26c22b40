import type { Consumer } from './consumer.ts';

/**
 * The requests one pipeline holds: entered at its first consumer and not yet answered. A batch
 * processor compares it with the requests it holds itself: when every one is already waiting in
 * the batch, nothing else is on its way and waiting for the batch timeout only delays the answer.
 */
export interface Intake {
  /** Requests entered and not yet settled. */
  readonly held: number;
  /** Calls `listener` each time a request settles (so a batch can re-check), until `off()`. */
  onSettle(listener: () => void): () => void;
  /** Wraps the pipeline's entry: counts each request from consume until it settles. */
  entry<T>(next: Consumer<T>): Consumer<T>;
}

/**
 * A per-pipeline request count, wired by buildService into the pipeline's entry and handed to its
 * processors through ComponentSettings.intake.
 * @example const intake = requestIntake(); const entry = intake.entry(batch); // batch got { intake }
 */
export function requestIntake(): Intake {
  let held = 0;
  const listeners = new Set<() => void>();
  return {
    get held() {
      return held;
    },
    onSettle(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    entry(next) {
      return {
        async consume(data) {
          held++;
          try {
            await next.consume(data);
          } finally {
            held--;
            for (const listener of listeners) listener();
          }
        },
      };
    },
  };
}
