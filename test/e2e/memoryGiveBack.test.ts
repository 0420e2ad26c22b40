import { afterAll, beforeAll, expect, it } from 'vitest';
import { type LlmpProcess, startLlmp } from '../support/llmpProcess.ts';
import { metricValue } from '../support/selfMetric.ts';
import { tempDir } from '../support/tempDir.ts';

// Issue 16, item 3, "give memory back": after a burst of large requests an idle `llmp start`
// returns its heap and buffers. Without idleHeapRelease V8 kept ~190 MiB of heap and ~180 MiB of
// buffers for over a minute after the burst (docs/benchmarks.md).

const dir = tempDir('memory-give-back');
let llmp: LlmpProcess;
const MiB = 1024 ** 2;

beforeAll(async () => {
  llmp = await startLlmp({ dataDir: `${dir.path}/data` });
});
afterAll(async () => {
  await llmp?.stop('SIGKILL');
  dir.remove();
});

/** Heap used + external memory (Buffers) of the llmp process, from its own /metrics. */
async function heldMemory(): Promise<number> {
  const text = await (await llmp.api('/metrics')).text();
  return metricValue(text, 'nodejs_heap_size_used_bytes') + metricValue(text, 'nodejs_external_memory_bytes');
}

/** One OTLP/JSON request of `spans` spans with 20 string attributes each (~16 MB for 12 000). */
function largeRequest(spans: number, seed: number): string {
  const now = BigInt(Date.now()) * 1_000_000n;
  const list = Array.from({ length: spans }, (_, i) => ({
    traceId: (seed * 1_000_000 + i).toString(16).padStart(32, '0'),
    spanId: (i + 1).toString(16).padStart(16, '0'),
    name: `op ${i % 50}`,
    kind: 1,
    startTimeUnixNano: String(now),
    endTimeUnixNano: String(now + 5_000_000n),
    attributes: Array.from({ length: 20 }, (_, k) => ({
      key: `attr.${k}`,
      value: { stringValue: `value-${seed}-${i}-${k}` },
    })),
  }));
  const resource = { attributes: [{ key: 'service.name', value: { stringValue: 'burst' } }] };
  return JSON.stringify({
    resourceSpans: [{ resource, scopeSpans: [{ scope: { name: 'burst' }, spans: list }] }],
  });
}

it('gives a burst of large requests back within 30 s of going idle', async () => {
  const idle = await heldMemory();
  const bodies = [1, 2, 3, 4].map((seed) => largeRequest(12_000, seed));
  let stored = 0;
  for (let round = 0; round < 3; round++) {
    const statuses = await Promise.all(
      bodies.map(async (body) => {
        const response = await fetch(`http://127.0.0.1:${llmp.httpPort}/v1/traces`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        await response.arrayBuffer();
        return response.status;
      }),
    );
    // Some are refused with 429 while the in-flight bytes are full; none fail otherwise.
    expect(statuses.every((status) => status === 200 || status === 429)).toBe(true);
    stored += statuses.filter((status) => status === 200).length;
  }
  expect(stored).toBeGreaterThanOrEqual(4);
  const peak = await heldMemory();
  expect(peak - idle).toBeGreaterThan(128 * MiB);

  const deadline = Date.now() + 30_000;
  let held = peak;
  while (Date.now() < deadline) {
    held = await heldMemory();
    if (held - idle < 64 * MiB) break;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  expect((held - idle) / MiB).toBeLessThan(64);
  const text = await (await llmp.api('/metrics')).text();
  expect(metricValue(text, 'llmp_process_idle_heap_releases_total')).toBeGreaterThanOrEqual(1);
}, 120_000);
