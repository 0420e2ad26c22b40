import { Registry } from 'prom-client';
import { describe, expect, it, vi } from 'vitest';
import { idleHeapRelease } from './idleHeapRelease.ts';

const MiB = 1024 ** 2;

/** A process whose memory the test sets; a full collection brings it back to `live`. */
function fakeProcess(start: number) {
  const state = { used: start, live: start, collections: 0 };
  return {
    state,
    memory: () => state.used,
    collect: () => {
      state.collections++;
      state.used = state.live;
    },
  };
}

describe('idleHeapRelease', () => {
  it('collects once when a burst left garbage and the process went idle', async () => {
    vi.useFakeTimers();
    const proc = fakeProcess(50 * MiB);
    const registry = new Registry();
    const release = idleHeapRelease({ ...proc, intervalMs: 1000, slackBytes: 64 * MiB, registry });
    // A burst: memory climbs while the process works.
    proc.state.used = 150 * MiB;
    await vi.advanceTimersByTimeAsync(1000);
    proc.state.used = 300 * MiB;
    await vi.advanceTimersByTimeAsync(1000);
    expect(proc.state.collections).toBe(0);
    // Idle: nothing allocates between two checks.
    await vi.advanceTimersByTimeAsync(1000);
    expect(proc.state.collections).toBe(1);
    expect(proc.state.used).toBe(50 * MiB);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(proc.state.collections).toBe(1);
    expect(await registry.getSingleMetricAsString('llmp_process_idle_heap_releases_total')).toMatch(/ 1$/m);
    release.stop();
    vi.useRealTimers();
  });

  it('leaves a busy process to its own collector, and live memory that grew is the new baseline', async () => {
    vi.useFakeTimers();
    const proc = fakeProcess(50 * MiB);
    const release = idleHeapRelease({ ...proc, intervalMs: 1000, slackBytes: 64 * MiB });
    for (let i = 1; i <= 10; i++) {
      proc.state.used = 50 * MiB + i * 40 * MiB; // allocating all the time
      await vi.advanceTimersByTimeAsync(1000);
    }
    expect(proc.state.collections).toBe(0);
    // The live set itself grew (a cache): after one collection it is not collected again.
    proc.state.live = 200 * MiB;
    await vi.advanceTimersByTimeAsync(1000);
    expect(proc.state.collections).toBe(1);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(proc.state.collections).toBe(1);
    release.stop();
    vi.useRealTimers();
  });

  it('does nothing while the garbage is below the slack', async () => {
    vi.useFakeTimers();
    const proc = fakeProcess(50 * MiB);
    const release = idleHeapRelease({ ...proc, intervalMs: 1000, slackBytes: 64 * MiB });
    proc.state.used = 100 * MiB;
    await vi.advanceTimersByTimeAsync(5000);
    expect(proc.state.collections).toBe(0);
    release.stop();
    vi.useRealTimers();
  });

  it('runs a real full collection by default', () => {
    const release = idleHeapRelease({ intervalMs: 60_000 });
    expect(() => release.collectNow()).not.toThrow();
    release.stop();
  });
});
