import { createHash } from 'node:crypto';
import { loadavg } from 'node:os';
import { startLlmp } from '../../test/support/llmpProcess.ts';
import { tempDir } from '../../test/support/tempDir.ts';
import {
  fetchTimed,
  launchChromium,
  openTraceTimed,
  type TraceOpenTiming,
} from '../../test/support/traceOpenTiming.ts';
import { sendWideTrace } from '../../test/support/uiTraces.ts';
import { median } from './quantiles.ts';

const round1 = (ms: number) => Math.round(ms * 10) / 10;

/**
 * The web UI in Debian's Chromium against `llmp start`: a trace of `spans` spans (sent through
 * the OTel JS SDK) opened `rounds` times, split into the server's read of the outline, its
 * transfer, and parse + render; and, interleaved A B A B in the browser, the outline read
 * against the whole trace (every attribute), which the page read before. Needs `pnpm build`.
 */
export async function uiScenario({
  spans = 30_000,
  rounds = 7,
  apiKeys = false,
}: {
  spans?: number;
  rounds?: number;
  /** With API keys on: the trace sent and read with a project's keys. */
  apiKeys?: boolean;
}) {
  const dir = tempDir('bench-ui');
  const keyLine = (key: string, role: string) =>
    `sha256:${createHash('sha256').update(key).digest('hex')}=bench:${role}`;
  const llmp = await startLlmp({
    dataDir: `${dir.path}/data`,
    ...(apiKeys
      ? {
          env: {
            LLMP_API_KEYS: [keyLine('bench-ingest', 'ingest'), keyLine('bench-read', 'read')].join(','),
          },
        }
      : {}),
  });
  const readKey = apiKeys ? 'bench-read' : undefined;
  const read: Record<string, string> = readKey ? { authorization: `Bearer ${readKey}` } : {};
  const browser = await launchChromium();
  try {
    const base = `http://127.0.0.1:${llmp.apiPort}`;
    const traceId = await sendWideTrace(
      `http://127.0.0.1:${llmp.httpPort}/v1/traces`,
      'bench-ui',
      spans,
      apiKeys ? { 'x-llmp-api-key': 'bench-ingest' } : {},
    );
    for (let i = 0; ; i++) {
      const res = await fetch(`${base}/v1/traces/${traceId}/outline`, { headers: read });
      if (res.ok && ((await res.json()) as { spans: unknown[] }).spans.length === spans) break;
      if (i > 600) throw new Error(`trace ${traceId} never had ${spans} spans`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const load = [loadavg()[0]!];
    const opens: TraceOpenTiming[] = [];
    const outline: number[] = [];
    const whole: number[] = [];
    for (let i = 0; i < rounds; i++) {
      opens.push(await openTraceTimed(browser, base, traceId, spans, readKey));
      outline.push(await fetchTimed(browser, base, `/v1/traces/${traceId}/outline`, readKey));
      whole.push(await fetchTimed(browser, base, `/v1/traces/${traceId}`, readKey));
      load.push(loadavg()[0]!);
    }
    const pick = (k: keyof TraceOpenTiming) => round1(median(opens.map((o) => o[k])));
    return {
      scenario: 'ui',
      command: `pnpm build && BENCH_SPANS=${spans} BENCH_ROUNDS=${rounds}${apiKeys ? ' BENCH_UI_API_KEYS=1' : ''} pnpm bench ui`,
      apiKeys,
      spans,
      rounds,
      openTraceMs: opens.map((o) => round1(o.totalMs)),
      openTraceP50Ms: pick('totalMs'),
      outlineServerP50Ms: pick('serverMs'),
      outlineTransferP50Ms: pick('transferMs'),
      parseAndRenderP50Ms: pick('afterResponseMs'),
      fetchOutlineP50Ms: round1(median(outline)),
      fetchWholeTraceP50Ms: round1(median(whole)),
      wholeOverOutline: round1(median(whole) / median(outline)),
      loadAverage1m: load.map((l) => Math.round(l * 10) / 10),
    };
  } finally {
    await browser.close();
    await llmp.stop();
    dir.remove();
  }
}
