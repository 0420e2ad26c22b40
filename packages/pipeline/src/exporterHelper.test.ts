import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createLogger } from './createLogger.ts';
import { permanent, retryable } from './exportError.ts';
import { exporterHelper } from './exporterHelper.ts';
import type { RetryOnFailure } from './retryOnFailure.ts';
import { type SendingQueue, sendingQueueConfig } from './sendingQueue.ts';

interface Batch {
  name: string;
  spanCount: number;
}

const noRetry: RetryOnFailure = {
  enabled: false,
  initialInterval: 1,
  maxInterval: 5,
  multiplier: 2,
  randomizationFactor: 0,
  maxElapsedTime: 0,
};
const noQueue: SendingQueue = sendingQueueConfig().parse({});

async function metric(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const found = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const value = found?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return value?.value ?? 0;
}

function helper(
  send: (batch: Batch) => Promise<void>,
  options: {
    retryOnFailure?: Partial<RetryOnFailure>;
    sendingQueue?: Partial<SendingQueue>;
    drainTimeout?: number;
  } = {},
) {
  const registry = new Registry();
  const exporter = exporterHelper<Batch>({
    settings: { id: 'test', logger: createLogger({ level: 'silent' }), registry },
    name: 'test exporter',
    send,
    spanCount: (b) => b.spanCount,
    retryOnFailure: { ...noRetry, ...options.retryOnFailure },
    sendingQueue: { ...noQueue, ...options.sendingQueue },
    drainTimeout: options.drainTimeout ?? 1000,
  });
  return { exporter, registry };
}

describe('exporterHelper', () => {
  it('without a queue answers with the send’s outcome after its retries, and counts spans sent and failed', async () => {
    const failures = [retryable('down'), retryable('down')];
    const sent: string[] = [];
    const { exporter, registry } = helper(
      async (batch) => {
        if (batch.name === 'bad') throw permanent('bad batch');
        const failure = failures.shift();
        if (failure) throw failure;
        sent.push(batch.name);
      },
      { retryOnFailure: { enabled: true } },
    );
    await exporter.consume({ name: 'a', spanCount: 3 });
    expect(sent).toEqual(['a']);
    await expect(exporter.consume({ name: 'bad', spanCount: 2 })).rejects.toMatchObject({
      kind: 'permanent',
    });
    expect(await metric(registry, 'llmp_exporter_sent_spans_total', { exporter: 'test' })).toBe(3);
    expect(
      await metric(registry, 'llmp_exporter_send_failed_spans_total', {
        exporter: 'test',
        kind: 'permanent',
      }),
    ).toBe(2);
  });

  it('with retry off hands the first retryable failure back to the sender', async () => {
    const { exporter } = helper(async () => {
      throw retryable('ClickHouse unavailable', { retryAfterMs: 1000 });
    });
    await expect(exporter.consume({ name: 'a', spanCount: 1 })).rejects.toMatchObject({
      kind: 'retryable',
      retryAfterMs: 1000,
    });
  });

  it('with a queue answers once queued, refuses with retryable exhausted when full (counted), and shutdown sends what waits', async () => {
    const gates: Array<() => void> = [];
    const sent: string[] = [];
    const { exporter, registry } = helper(
      (batch) =>
        new Promise<void>((resolve) =>
          gates.push(() => {
            sent.push(batch.name);
            resolve();
          }),
        ),
      { sendingQueue: { enabled: true, queueSize: 5, sizer: 'spans', numConsumers: 1 } },
    );
    await exporter.consume({ name: 'a', spanCount: 2 }); // taken by the worker at once
    await exporter.consume({ name: 'b', spanCount: 3 });
    await exporter.consume({ name: 'c', spanCount: 2 });
    await expect(exporter.consume({ name: 'd', spanCount: 1 })).rejects.toMatchObject({
      kind: 'retryable',
      reason: 'exhausted',
    });
    expect(await metric(registry, 'llmp_exporter_queue_size', { exporter: 'test' })).toBe(5);
    expect(await metric(registry, 'llmp_exporter_enqueue_failed_spans_total', { exporter: 'test' })).toBe(1);
    const stopping = exporter.shutdown();
    await expect(exporter.consume({ name: 'e', spanCount: 1 })).rejects.toMatchObject({ kind: 'retryable' });
    while (sent.length < 3) {
      gates.shift()?.();
      await new Promise((r) => setTimeout(r, 1));
    }
    await stopping;
    expect(sent).toEqual(['a', 'b', 'c']);
    expect(await metric(registry, 'llmp_exporter_sent_spans_total', { exporter: 'test' })).toBe(7);
  });

  it('shutdown gives up on queued batches at drainTimeout and counts them as failed', async () => {
    const { exporter, registry } = helper(() => new Promise<void>(() => undefined), {
      sendingQueue: { enabled: true, queueSize: 10, numConsumers: 1 },
      drainTimeout: 30,
    });
    await exporter.consume({ name: 'a', spanCount: 1 });
    await exporter.consume({ name: 'b', spanCount: 4 });
    await exporter.shutdown();
    expect(
      await metric(registry, 'llmp_exporter_send_failed_spans_total', {
        exporter: 'test',
        kind: 'retryable',
      }),
    ).toBe(4);
  });
});
