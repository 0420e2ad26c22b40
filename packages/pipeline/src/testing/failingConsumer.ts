import type { Consumer } from '../component.ts';
import { type ErrorKind, ExportError, type RetryReason } from '../exportError.ts';
import { type SinkConsumer, sinkConsumer } from './sinkConsumer.ts';

export interface FailingConsumerOptions {
  kind: ErrorKind;
  /** Calls that fail before the consumer starts keeping data; every call when absent. */
  times?: number;
  message?: string;
  reason?: RetryReason;
  retryAfterMs?: number;
  tooLarge?: boolean;
}

export interface FailingConsumer<T> extends Consumer<T> {
  /** What was kept once the failures were used up. */
  sink: SinkConsumer<T>;
  /** Calls that failed so far. */
  failures(): number;
}

/**
 * A next consumer that rejects with an ExportError of the given kind, `times` times or always,
 * then keeps what it gets in `sink`.
 * @example const next = failingConsumer<TraceBatch>({ kind: 'retryable', reason: 'exhausted', times: 2 });
 */
export function failingConsumer<T>({
  kind,
  times = Number.POSITIVE_INFINITY,
  message = `${kind} failure (test)`,
  reason,
  retryAfterMs,
  tooLarge,
}: FailingConsumerOptions): FailingConsumer<T> {
  const sink = sinkConsumer<T>();
  let failures = 0;
  return {
    sink,
    failures: () => failures,
    async consume(data) {
      if (failures < times) {
        failures++;
        throw new ExportError(kind, message, {
          ...(reason ? { reason } : {}),
          ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
          ...(tooLarge !== undefined ? { tooLarge } : {}),
        });
      }
      await sink.consume(data);
    },
  };
}
