import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { type LlmpProcess, startLlmp } from '../support/llmpProcess.ts';
import { otlpJsonTrace, postJson } from '../support/otlpJson.ts';
import { waitForMetric } from '../support/selfMetric.ts';
import { tempDir } from '../support/tempDir.ts';

const dir = tempDir('flush');
const running: LlmpProcess[] = [];
afterAll(async () => {
  for (const p of running) await p.stop('SIGKILL');
  dir.remove();
});

/**
 * One export at a time (the default) and a batch that would wait a minute. The batch sends a
 * request as soon as every request the pipeline holds has reached it and the export slot is free
 * (batchProcessor.ts, flushIfAllHere), so a lone small request is INSERTed at once. Requests that
 * arrive while an export runs gather in the buffer behind it; only the shutdown flush can store
 * them before the minute is up.
 */
const holdingBatch = 'processors:\n  batch: { timeout: 60s, sendBatchSize: 1000000, exportConcurrency: 1 }';
/**
 * The first request, large enough that its INSERT runs for a while: with 60 000 spans ~400 ms of
 * the ~1 s from posting it to its answer (2 idle cores), against the few ms the small requests
 * take to reach the batch behind it. (At 20 000 spans the INSERT's ~150 ms were mostly over by the
 * time the metric showed the request in the batch, and the small requests went out on their own.)
 */
const bigSpans = 60_000;

/** Files the embedded store's deriver still holds (pending payloads, unfinished derives). */
function underivedFiles(dataDir: string): string[] {
  const deriveDir = join(dataDir, 'derive');
  return readdirSync(deriveDir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

/** Sends the big request and resolves, with its answer still pending, once it is being exported. */
async function occupyTheExport(llmp: LlmpProcess) {
  const big = otlpJsonTrace({ spans: bigSpans, service: 'flush-big' });
  const answer = postJson(llmp.httpPort, big.body);
  await waitForMetric(
    `http://127.0.0.1:${llmp.apiPort}/metrics`,
    'llmp_processor_pending_spans',
    { processor: 'batch' },
    (v) => v >= bigSpans,
  );
  return { big, answer };
}

describe('SIGTERM', () => {
  it('stores the spans it accepted just before the signal, and answers their senders', async () => {
    const dataDir = `${dir.path}/data`;
    const llmp = await startLlmp({ dataDir, extraYaml: holdingBatch });
    running.push(llmp);
    const { big, answer: bigAnswer } = await occupyTheExport(llmp);
    const traces = Array.from({ length: 5 }, (_, i) => otlpJsonTrace({ spans: 3, service: `flush-${i}` }));
    const answers = traces.map((t) => postJson(llmp.httpPort, t.body));
    // Stop once the five requests wait in the batch buffer behind the big export (pending_spans
    // counts buffered and exporting spans until answered), not after a guessed delay.
    await waitForMetric(
      `http://127.0.0.1:${llmp.apiPort}/metrics`,
      'llmp_processor_pending_spans',
      { processor: 'batch' },
      (v) => v >= bigSpans + 15,
    );
    const stopped = llmp.stop('SIGTERM');
    expect((await bigAnswer).status).toBe(200);
    const responses = await Promise.all(answers);
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(await stopped).toBe(0);
    expect(llmp.logs.some((l) => l.msg === 'stopped')).toBe(true);
    // The deriver filled the derived tables at shutdown: nothing is left for the next start.
    expect(underivedFiles(dataDir)).toEqual([]);

    const after = await startLlmp({ dataDir });
    running.push(after);
    for (const t of traces) {
      const response = await after.api(`/v1/traces/${t.traceId}`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as { spans: Array<{ spanId: string }> };
      expect(body.spans.map((s) => s.spanId).sort()).toEqual([...t.spanIds].sort());
    }
    // The derived tables (trace_search) hold them too: search by service.
    for (const [i, t] of [...traces, big].entries()) {
      const service = i < traces.length ? `flush-${i}` : 'flush-big';
      const search = await after.api(`/v1/traces?service=${service}`);
      expect(search.status).toBe(200);
      const { traces: found } = (await search.json()) as {
        traces: Array<{ traceId: string; spanCount: number }>;
      };
      expect(found).toEqual([expect.objectContaining({ traceId: t.traceId, spanCount: t.spanIds.length })]);
    }
    expect(await after.stop('SIGTERM')).toBe(0);
  });

  it('refuses new requests once shutdown has begun', async () => {
    const llmp = await startLlmp({ dataDir: `${dir.path}/data2`, extraYaml: holdingBatch });
    running.push(llmp);
    const { answer: bigAnswer } = await occupyTheExport(llmp);
    const small = postJson(llmp.httpPort, otlpJsonTrace({ spans: 1 }).body);
    await waitForMetric(
      `http://127.0.0.1:${llmp.apiPort}/metrics`,
      'llmp_processor_pending_spans',
      { processor: 'batch' },
      (v) => v >= bigSpans + 1,
    );
    const stopped = llmp.stop('SIGTERM');
    await vi.waitFor(
      () => expect(llmp.logs.some((l) => String(l.msg).startsWith('shutting down'))).toBe(true),
      {
        timeout: 10_000,
      },
    );
    // A request that comes once shutdown began is refused (503, or no listener any more), while the
    // accepted ones are still answered.
    const late = await postJson(llmp.httpPort, otlpJsonTrace({ spans: 1 }).body).then(
      (r) => r.status,
      () => 'refused',
    );
    expect([503, 'refused']).toContain(late);
    expect((await bigAnswer).status).toBe(200);
    expect((await small).status).toBe(200);
    expect(await stopped).toBe(0);
    await expect(postJson(llmp.httpPort, otlpJsonTrace({ spans: 1 }).body)).rejects.toThrow();
  });
});
