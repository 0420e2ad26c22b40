import { afterAll, describe, expect, it } from 'vitest';
import { type LlmpProcess, startLlmp } from '../support/llmpProcess.ts';
import { loadSenders, peakRss } from '../support/loadSenders.ts';
import { tempDir } from '../support/tempDir.ts';

const dir = tempDir('overload');
let llmp: LlmpProcess | undefined;
afterAll(async () => {
  await llmp?.stop('SIGKILL');
  dir.remove();
});

/** The stated bound on the process's peak RSS under this overload (embedded ClickHouse included). */
const rssBound = 1280 * 1024 ** 2;

function metric(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('overload', () => {
  it('answers a sender faster than the store with retryable codes, stays under the RSS bound, and stores every acknowledged span', async () => {
    // A small pipeline, so 64 senders outrun the store: at most 4000 spans pending in the batch processor.
    const idleProcess = await startLlmp({ dataDir: `${dir.path}/idle` });
    const idleRss = peakRss(idleProcess.child.pid!);
    await idleProcess.stop();
    llmp = await startLlmp({
      dataDir: `${dir.path}/data`,
      extraYaml: [
        'processors:',
        '  batch: { sendBatchSize: 1000, timeout: 50ms, maxPendingSpans: 4000, exportConcurrency: 1 }',
      ].join('\n'),
    });
    const burst = await loadSenders({
      httpPort: llmp.httpPort,
      senders: 64,
      spansPerRequest: 100,
      stop: new Promise((r) => setTimeout(r, 6000)),
    });
    const peak = peakRss(llmp.child.pid!);
    const idle = idleRss;
    const retryable = (burst.statuses[429] ?? 0) + (burst.statuses[503] ?? 0);
    console.info(
      `overload: ${JSON.stringify(burst.statuses)}, acked spans ${burst.ackedSpans()}, peak RSS ${(peak / 1024 ** 2).toFixed(0)} MiB (idle ${(idle / 1024 ** 2).toFixed(0)} MiB)`,
    );
    expect(burst.failures).toBe(0);
    expect(retryable).toBeGreaterThan(0);
    expect(burst.acked.length).toBeGreaterThan(0);
    // Only 200 and retryable answers: nothing was refused for good, nothing crashed.
    expect(Object.keys(burst.statuses).sort()).toEqual(expect.arrayContaining(['200']));
    for (const status of Object.keys(burst.statuses)) expect(['200', '429', '503']).toContain(status);
    expect(peak).toBeLessThan(rssBound);

    // After the burst: the exporter stored exactly the acknowledged spans (refused ones never reached it).
    await expect
      .poll(
        async () =>
          metric(
            await (await llmp!.api('/metrics')).text(),
            'llmp_exporter_sent_spans_total',
            'exporter="clickhouse"',
          ),
        {
          timeout: 10_000,
        },
      )
      .toBe(burst.ackedSpans());
    const text = await (await llmp.api('/metrics')).text();
    expect(
      metric(
        text,
        'llmp_receiver_refused_spans_total',
        'receiver="otlp",transport="http",reason="exhausted"',
      ),
    ).toBe((burst.statuses[429] ?? 0) * 100);
    // And a sample of acknowledged traces reads back whole.
    for (const t of burst.acked.filter((_, i) => i % Math.ceil(burst.acked.length / 25) === 0)) {
      const res = await llmp.api(`/v1/traces/${t.traceId}`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { spans: unknown[] }).spans).toHaveLength(t.spans);
    }
  });
});
