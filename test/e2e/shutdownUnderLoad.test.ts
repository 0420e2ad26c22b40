import { afterAll, describe, expect, it } from 'vitest';
import { type LlmpProcess, startLlmp } from '../support/llmpProcess.ts';
import { loadSenders } from '../support/loadSenders.ts';
import { waitForMetric } from '../support/selfMetric.ts';
import { tempDir } from '../support/tempDir.ts';

const dir = tempDir('sigterm-load');
const running: LlmpProcess[] = [];
afterAll(async () => {
  for (const p of running) await p.stop('SIGKILL');
  dir.remove();
});

describe('SIGTERM under load', () => {
  it('loses no acknowledged span: 32 concurrent senders, SIGTERM mid-way, restart, every acked trace is stored whole', async () => {
    const dataDir = `${dir.path}/data`;
    // A long batch timeout: spans accepted before the signal wait in the buffer, so only the
    // shutdown flush (stop intake, drain requests, flush batches) can store them.
    const llmp = await startLlmp({
      dataDir,
      extraYaml: 'processors:\n  batch: { timeout: 1s, sendBatchSize: 5000 }',
    });
    running.push(llmp);
    let signal!: () => void;
    const signalled = new Promise<void>((resolve) => (signal = resolve));
    const exited = signalled.then(() => llmp.stop('SIGTERM'));
    // Senders keep sending through the shutdown, until the process is gone.
    const load = loadSenders({ httpPort: llmp.httpPort, senders: 32, spansPerRequest: 20, stop: exited });
    // Signal mid-way: once more than 30 traces (20 spans each) are stored and while the batch
    // buffer holds more, as /metrics says (not after a guessed delay).
    const metrics = `http://127.0.0.1:${llmp.apiPort}/metrics`;
    await waitForMetric(
      metrics,
      'llmp_exporter_sent_spans_total',
      { exporter: 'clickhouse' },
      (v) => v >= 40 * 20,
    );
    await waitForMetric(metrics, 'llmp_processor_pending_spans', { processor: 'batch' }, (v) => v > 0);
    signal();
    const result = await load;
    expect(await exited).toBe(0);
    console.info(
      `sigterm under load: ${JSON.stringify(result.statuses)}, ${result.failures} refused connections, ${result.acked.length} acked traces`,
    );
    expect(result.acked.length).toBeGreaterThan(30);
    // Nothing acknowledged was refused for good; after the signal, senders get retryable answers or no connection.
    for (const status of Object.keys(result.statuses)) expect(['200', '429', '503']).toContain(status);

    const after = await startLlmp({ dataDir });
    running.push(after);
    const missing: string[] = [];
    for (const t of result.acked) {
      const res = await after.api(`/v1/traces/${t.traceId}`);
      const spans = res.status === 200 ? ((await res.json()) as { spans: unknown[] }).spans.length : 0;
      if (spans !== t.spans) missing.push(`${t.traceId}: ${spans}/${t.spans}`);
    }
    expect(missing).toEqual([]);
    expect(await after.stop('SIGTERM')).toBe(0);
  });
});
