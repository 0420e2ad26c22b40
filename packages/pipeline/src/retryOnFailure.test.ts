import { afterEach, describe, expect, it, vi } from 'vitest';
import { permanent, retryable } from './exportError.ts';
import {
  backoffDelay,
  type RetryOnFailure,
  retryOnFailureConfig,
  retryWithBackoff,
} from './retryOnFailure.ts';

const policy: RetryOnFailure = {
  enabled: true,
  initialInterval: 100,
  maxInterval: 1000,
  multiplier: 2,
  randomizationFactor: 0,
  maxElapsedTime: 0,
};

/** An action failing with each error in turn, then succeeding with 'done'. */
function failing(...errors: unknown[]) {
  const calls: number[] = [];
  const action = async () => {
    calls.push(Date.now());
    const error = errors.shift();
    if (error !== undefined) throw error;
    return 'done';
  };
  return { action, calls };
}

describe('retryOnFailureConfig', () => {
  it('sets every default, the component’s own over the Collector’s, and reads durations', () => {
    expect(retryOnFailureConfig().parse(undefined)).toEqual({
      enabled: true,
      initialInterval: 5000,
      maxInterval: 30_000,
      maxElapsedTime: 300_000,
      multiplier: 2,
      randomizationFactor: 0.5,
    });
    const config = retryOnFailureConfig({ enabled: false, initialInterval: 500 }).parse({
      maxElapsedTime: '24h',
    });
    expect(config).toMatchObject({ enabled: false, initialInterval: 500, maxElapsedTime: 86_400_000 });
  });
});

describe('backoffDelay', () => {
  it('grows by the multiplier up to maxInterval and jitters within ±randomizationFactor', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(policy, n))).toEqual([100, 200, 400, 800, 1000]);
    const jittered = { ...policy, randomizationFactor: 0.5 };
    expect(backoffDelay(jittered, 2, () => 0)).toBe(100);
    expect(backoffDelay(jittered, 2, () => 1)).toBe(300);
    expect(backoffDelay(jittered, 2, () => 0.5)).toBe(200);
  });
});

describe('retryWithBackoff', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('retries retryable failures with growing waits, at least the error’s Retry-After, until success', async () => {
    vi.useFakeTimers({ now: 0 });
    const { action, calls } = failing(
      retryable('down'),
      new Error('socket hang up'),
      retryable('slow down', { retryAfterMs: 5000 }),
    );
    const retries: number[] = [];
    const outcome = retryWithBackoff(action, {
      policy,
      onRetry: ({ delayMs }) => retries.push(delayMs),
    });
    await vi.runAllTimersAsync();
    expect(await outcome).toEqual({ ok: true, value: 'done', attempts: 4 });
    expect(retries).toEqual([100, 200, 5000]);
    expect(calls).toEqual([0, 100, 300, 5300]);
  });

  it('stops at once on a permanent error, and after the first failure when disabled', async () => {
    const bad = failing(permanent('bad span'));
    expect(await retryWithBackoff(bad.action, { policy })).toMatchObject({
      ok: false,
      attempts: 1,
      gaveUp: 'permanent',
      error: { kind: 'permanent', message: 'bad span' },
    });
    const off = failing(retryable('down'));
    expect(await retryWithBackoff(off.action, { policy: { ...policy, enabled: false } })).toMatchObject({
      ok: false,
      attempts: 1,
      gaveUp: 'disabled',
      error: { kind: 'retryable' },
    });
  });

  it('gives up once the next wait would end past maxElapsedTime', async () => {
    vi.useFakeTimers({ now: 0 });
    const { action, calls } = failing(...Array.from({ length: 10 }, () => retryable('down')));
    const outcome = retryWithBackoff(action, { policy: { ...policy, maxElapsedTime: 1000 } });
    await vi.runAllTimersAsync();
    // Waits of 100, 200, 400 end at 700; the next (800) would end at 1500.
    expect(await outcome).toMatchObject({ ok: false, attempts: 4, gaveUp: 'expired' });
    expect(calls).toEqual([0, 100, 300, 700]);
  });

  it('ends its wait when the signal aborts, and ends when proceed says no', async () => {
    vi.useFakeTimers({ now: 0 });
    const stopped = new AbortController();
    const down = failing(retryable('down'), retryable('down'));
    const outcome = retryWithBackoff(down.action, {
      policy: { ...policy, initialInterval: 60_000 },
      signal: stopped.signal,
    });
    await vi.advanceTimersByTimeAsync(10);
    stopped.abort();
    expect(await outcome).toMatchObject({ ok: false, attempts: 1, gaveUp: 'stopped' });

    let wanted = true;
    const lost = failing(retryable('down'), retryable('down'));
    const cancelled = retryWithBackoff(lost.action, {
      policy,
      proceed: () => wanted,
      onRetry: () => {
        wanted = false;
      },
    });
    await vi.runAllTimersAsync();
    expect(await cancelled).toMatchObject({ ok: false, attempts: 1, gaveUp: 'cancelled' });
  });

  it('waits through the given wait (e.g. heartbeating)', async () => {
    const waits: number[] = [];
    const { action } = failing(retryable('down'));
    const outcome = await retryWithBackoff(action, {
      policy,
      wait: async (ms) => {
        waits.push(ms);
      },
    });
    expect(outcome).toMatchObject({ ok: true, attempts: 2 });
    expect(waits).toEqual([100]);
  });
});
