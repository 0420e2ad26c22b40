import { afterAll, describe, expect, it } from 'vitest';
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

describe('SIGTERM', () => {
  it('stores the spans it accepted just before the signal, and answers their senders', async () => {
    const dataDir = `${dir.path}/data`;
    // A batch that would wait a minute: only the shutdown flush can store these spans in time.
    const llmp = await startLlmp({
      dataDir,
      extraYaml: 'processors:\n  batch: { timeout: 60s, sendBatchSize: 100000 }',
    });
    running.push(llmp);
    const traces = Array.from({ length: 5 }, (_, i) => otlpJsonTrace({ spans: 3, service: `flush-${i}` }));
    const answers = traces.map((t) => postJson(llmp.httpPort, t.body));
    // Stop once every request reached the batch buffer (15 spans held), not after a guessed delay.
    await waitForMetric(
      `http://127.0.0.1:${llmp.apiPort}/metrics`,
      'llmp_processor_pending_spans',
      { processor: 'batch' },
      (v) => v >= 15,
    );
    const stopped = llmp.stop('SIGTERM');
    const responses = await Promise.all(answers);
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(await stopped).toBe(0);
    expect(llmp.logs.some((l) => l.msg === 'stopped')).toBe(true);

    const after = await startLlmp({ dataDir });
    running.push(after);
    for (const t of traces) {
      const response = await after.api(`/v1/traces/${t.traceId}`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as { spans: Array<{ spanId: string }> };
      expect(body.spans.map((s) => s.spanId).sort()).toEqual([...t.spanIds].sort());
    }
    expect(await after.stop('SIGTERM')).toBe(0);
  });

  it('refuses new requests once shutdown has begun', async () => {
    const llmp = await startLlmp({
      dataDir: `${dir.path}/data2`,
      extraYaml: 'processors:\n  batch: { timeout: 60s, sendBatchSize: 100000 }',
    });
    running.push(llmp);
    const pending = postJson(llmp.httpPort, otlpJsonTrace({ spans: 1 }).body);
    await waitForMetric(
      `http://127.0.0.1:${llmp.apiPort}/metrics`,
      'llmp_processor_pending_spans',
      { processor: 'batch' },
      (v) => v >= 1,
    );
    const stopped = llmp.stop('SIGTERM');
    expect((await pending).status).toBe(200);
    await stopped;
    await expect(postJson(llmp.httpPort, otlpJsonTrace({ spans: 1 }).body)).rejects.toThrow();
  });
});
