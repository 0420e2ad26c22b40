import { z } from 'zod';
import { duration } from './configSchema.ts';
import { type ExportError, toExportError } from './exportError.ts';

/** Backoff between attempts: exponential with jitter, as the Collector's `retry_on_failure`. */
export interface Backoff {
  /** The wait after the first failure. */
  initialInterval: number;
  /** The longest wait, however many failures. */
  maxInterval: number;
  /** Each wait is this many times the one before (until maxInterval). */
  multiplier: number;
  /** Each wait is drawn from ±this fraction around its interval, so retries do not fall in step. */
  randomizationFactor: number;
}

/** Whether and how long to retry a retryable failure (the Collector's `retry_on_failure`). */
export interface RetryOnFailure extends Backoff {
  /** Off: the first failure is the answer (the sender retries). */
  enabled: boolean;
  /** Retrying stops once the next wait would end past this since the first attempt; 0: never stops. */
  maxElapsedTime: number;
}

function backoffShape(defaults: Partial<Backoff>) {
  return {
    initialInterval: duration(defaults.initialInterval ?? 5000),
    maxInterval: duration(defaults.maxInterval ?? 30_000),
    multiplier: z
      .number()
      .min(1)
      .default(defaults.multiplier ?? 2),
    randomizationFactor: z
      .number()
      .min(0)
      .max(1)
      .default(defaults.randomizationFactor ?? 0.5),
  };
}

/**
 * The config of a backoff that never gives up (e.g. an insert a Kafka partition cannot move
 * past), every default given.
 * @example z.object({ retryOnFailure: backoffConfig({ initialInterval: 200 }) })
 */
export function backoffConfig(defaults: Partial<Backoff> = {}) {
  return z.object(backoffShape(defaults)).prefault({});
}

/**
 * The config of `retryOnFailure`, in the shape of the Collector's exporterhelper
 * `retry_on_failure`, with the defaults a component gives.
 * @example z.object({ retryOnFailure: retryOnFailureConfig({ initialInterval: 500, maxElapsedTime: 86_400_000 }) })
 */
export function retryOnFailureConfig(defaults: Partial<RetryOnFailure> = {}) {
  return z
    .object({
      enabled: z.boolean().default(defaults.enabled ?? true),
      ...backoffShape(defaults),
      maxElapsedTime: duration(defaults.maxElapsedTime ?? 300_000),
    })
    .prefault({});
}

/**
 * The wait before attempt `attempt + 1` (after `attempt` failures): the interval grows by the
 * multiplier up to maxInterval, then is drawn uniformly from ±randomizationFactor around it.
 * @example backoffDelay(policy, 3) // ~ initialInterval * multiplier² ± jitter
 */
export function backoffDelay(policy: Backoff, attempt: number, random: () => number = Math.random): number {
  const interval = Math.min(
    policy.initialInterval * policy.multiplier ** Math.max(0, attempt - 1),
    policy.maxInterval,
  );
  const spread = interval * policy.randomizationFactor;
  return Math.max(0, Math.round(interval - spread + random() * 2 * spread));
}

/**
 * Resolves after `ms`, or at once when `signal` aborts.
 * @example await sleep(200, stopped.signal);
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Why retrying ended without success. */
export type GaveUp =
  /** The error is permanent: retrying cannot help. */
  | 'permanent'
  /** Retry is off: the first retryable failure is the answer. */
  | 'disabled'
  /** maxElapsedTime went by. */
  | 'expired'
  /** The signal aborted (the component stops). */
  | 'stopped'
  /** `proceed` said no (the work is no longer wanted, e.g. a Kafka partition moved away). */
  | 'cancelled';

export type RetryOutcome<T> =
  | { ok: true; value: T; attempts: number }
  | { ok: false; attempts: number; error: ExportError; gaveUp: GaveUp };

export interface RetryOptions {
  policy: RetryOnFailure;
  /** Aborting ends the wait at once and the retrying with `stopped`. */
  signal?: AbortSignal | undefined;
  /** Asked after each wait: false ends the retrying with `cancelled`. */
  proceed?: () => boolean;
  /** Told of each retryable failure that will be retried, before its wait (logs, states). */
  onRetry?: (failure: { attempts: number; error: ExportError; delayMs: number }) => void;
  /** How to wait (default: a timer the signal cuts short), e.g. heartbeating while waiting. */
  wait?: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
  now?: () => number;
  random?: () => number;
}

/**
 * Runs `action` until it succeeds, backing off (exponential, jittered, at least the error's
 * Retry-After) on retryable ExportErrors; a permanent error, `enabled: false`, maxElapsedTime,
 * the signal or `proceed` end it. Anything thrown that is not an ExportError counts as
 * retryable (toExportError). The outcome is a value, never a throw.
 * @example const outcome = await retryWithBackoff(() => api.exportTraces(id, bytes), { policy: config.retryOnFailure, signal });
 */
export async function retryWithBackoff<T>(
  action: (attempt: number) => Promise<T>,
  {
    policy,
    signal,
    proceed = () => true,
    onRetry,
    wait = sleep,
    now = Date.now,
    random = Math.random,
  }: RetryOptions,
): Promise<RetryOutcome<T>> {
  const started = now();
  for (let attempts = 1; ; attempts++) {
    try {
      return { ok: true, value: await action(attempts), attempts };
    } catch (caught) {
      const error = toExportError(caught);
      if (error.kind === 'permanent') return { ok: false, attempts, error, gaveUp: 'permanent' };
      if (!policy.enabled) return { ok: false, attempts, error, gaveUp: 'disabled' };
      const delayMs = Math.max(backoffDelay(policy, attempts, random), error.retryAfterMs ?? 0);
      if (policy.maxElapsedTime > 0 && now() - started + delayMs > policy.maxElapsedTime) {
        return { ok: false, attempts, error, gaveUp: 'expired' };
      }
      if (signal?.aborted) return { ok: false, attempts, error, gaveUp: 'stopped' };
      onRetry?.({ attempts, error, delayMs });
      await wait(delayMs, signal);
      if (signal?.aborted) return { ok: false, attempts, error, gaveUp: 'stopped' };
      if (!proceed()) return { ok: false, attempts, error, gaveUp: 'cancelled' };
    }
  }
}
