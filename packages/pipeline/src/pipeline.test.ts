import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, vi } from 'vitest';
import type { Component, Consumer } from './component.ts';
import { fanout, pipeline } from './pipeline.ts';

type Part = Component & Consumer<string>;

/** A component that records its calls; `stop` runs inside shutdown, before it resolves. */
function part(
  name: string,
  log: string[],
  options: { failStart?: Error; failShutdown?: Error; stop?: () => Promise<void> } = {},
): Part & { shutdownCalls: number } {
  const component = {
    shutdownCalls: 0,
    async start() {
      log.push(`${name}:start`);
      if (options.failStart) throw options.failStart;
    },
    async shutdown() {
      component.shutdownCalls++;
      log.push(`${name}:shutdown`);
      await sleep(5);
      await options.stop?.();
      if (options.failShutdown) throw options.failShutdown;
      log.push(`${name}:stopped`);
    },
    async consume() {},
  };
  return component;
}

describe('pipeline', () => {
  it('starts exporters first, then processors from the last one, then receivers', async () => {
    const log: string[] = [];
    const p = pipeline({
      receivers: [part('r1', log), part('r2', log)],
      processors: [part('p1', log), part('p2', log)],
      exporters: [part('e1', log), part('e2', log)],
    });
    await p.start();
    expect(log).toEqual(['e1:start', 'e2:start', 'p2:start', 'p1:start', 'r1:start', 'r2:start']);
  });

  it('shuts down in the reverse order: receivers, processors in pipeline order, exporters last', async () => {
    const log: string[] = [];
    const p = pipeline({
      receivers: [part('r', log)],
      processors: [part('p1', log), part('p2', log)],
      exporters: [part('e', log)],
    });
    await p.start();
    log.length = 0;
    await p.shutdown();
    const calls = log.filter((entry) => entry.endsWith(':shutdown'));
    expect(calls).toEqual(['r:shutdown', 'p1:shutdown', 'p2:shutdown', 'e:shutdown']);
    // Each processor has flushed before the next one is asked to, and the exporter stops only
    // once everything upstream of it has stopped.
    expect(log.indexOf('p1:stopped')).toBeLessThan(log.indexOf('p2:shutdown'));
    expect(log.indexOf('e:shutdown')).toBeGreaterThan(log.indexOf('p2:stopped'));
    expect(log.indexOf('e:shutdown')).toBeGreaterThan(log.indexOf('r:stopped'));
    expect(log.at(-1)).toBe('e:stopped');
  });

  it('flushes processors while a receiver waits for its in-flight requests', async () => {
    const log: string[] = [];
    let flushed!: () => void;
    const flush = new Promise<void>((resolve) => {
      flushed = resolve;
    });
    // The receiver's in-flight request is answered only once the batch processor has flushed it.
    const receiver = part('r', log, { stop: () => flush });
    const processor = part('p', log, {
      stop: async () => flushed(),
    });
    const p = pipeline({ receivers: [receiver], processors: [processor], exporters: [part('e', log)] });
    await p.start();
    await p.shutdown();
    expect(log).toContain('r:stopped');
    expect(log.at(-1)).toBe('e:stopped');
  });

  it('shuts down once however often it is asked, and is safe without start', async () => {
    const log: string[] = [];
    const parts = { receivers: [part('r', log)], processors: [part('p', log)], exporters: [part('e', log)] };
    const p = pipeline(parts);
    const first = p.shutdown();
    const second = p.shutdown();
    expect(second).toBe(first);
    await Promise.all([first, second, p.shutdown()]);
    expect(
      [parts.receivers[0]!, parts.processors[0]!, parts.exporters[0]!].map((c) => c.shutdownCalls),
    ).toEqual([1, 1, 1]);
  });

  it('shuts down what had started when a component fails to start, and reports the failure', async () => {
    const log: string[] = [];
    const failure = new Error('port in use');
    const e1 = part('e1', log);
    const e2 = part('e2', log);
    const p1 = part('p1', log, { failStart: failure });
    const r = part('r', log);
    const p = pipeline({ receivers: [r], processors: [p1], exporters: [e1, e2] });
    await expect(p.start()).rejects.toBe(failure);
    expect(log.filter((entry) => entry.endsWith(':start'))).toEqual(['e1:start', 'e2:start', 'p1:start']);
    // The failed component is shut down too (it may hold part of its resources), then the
    // started ones in reverse start order; the receiver was never started nor stopped.
    expect(log.filter((entry) => entry.endsWith(':shutdown'))).toEqual([
      'p1:shutdown',
      'e2:shutdown',
      'e1:shutdown',
    ]);
    expect(r.shutdownCalls).toBe(0);
  });

  it('reports the start failure even when stopping the started components fails too', async () => {
    const log: string[] = [];
    const failure = new Error('cannot bind');
    const p = pipeline({
      receivers: [part('r', log, { failStart: failure })],
      processors: [],
      exporters: [part('e', log, { failShutdown: new Error('also broken') })],
    });
    await expect(p.start()).rejects.toBe(failure);
    expect(log).toContain('e:shutdown');
  });

  it('shuts every component down even when one fails to, and reports the failure', async () => {
    const log: string[] = [];
    const failure = new Error('close failed');
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    try {
      const p = pipeline({
        // The receiver fails at once, while the processor is still flushing.
        receivers: [{ start: async () => {}, shutdown: () => Promise.reject(failure) }],
        processors: [part('p', log, { stop: () => sleep(20) })],
        exporters: [part('e', log)],
      });
      await expect(p.shutdown()).rejects.toBe(failure);
      expect(log).toContain('p:stopped');
      expect(log).toContain('e:stopped');
      await sleep(10);
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });
});

describe('fanout', () => {
  it('returns the only consumer as it is', () => {
    const only: Consumer<string> = { consume: async () => {} };
    expect(fanout([only])).toBe(only);
  });

  it('hands each item to every consumer and resolves when all accepted it', async () => {
    const seen: string[] = [];
    const next = fanout<string>([
      { consume: async (item) => void seen.push(`a:${item}`) },
      {
        consume: async (item) => {
          await sleep(5);
          seen.push(`b:${item}`);
        },
      },
    ]);
    await next.consume('x');
    expect(seen.sort()).toEqual(['a:x', 'b:x']);
  });

  it('rejects when one consumer rejects', async () => {
    const failure = new Error('store down');
    const next = fanout<string>([{ consume: async () => {} }, { consume: () => Promise.reject(failure) }]);
    await expect(next.consume('x')).rejects.toBe(failure);
  });
});
