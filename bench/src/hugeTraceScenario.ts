import { randomBytes } from 'node:crypto';
import { startLlmp } from '../../test/support/llmpProcess.ts';
import { tempDir } from '../../test/support/tempDir.ts';
import { peakRssMiB, samplePeakRss } from './processStats.ts';
import { median } from './quantiles.ts';

const text = (seed: number, bytes: number) =>
  `Step ${seed}: `
    .concat('the agent looks up the order, checks the refund policy and answers. ')
    .repeat(Math.ceil(bytes / 70));

/** One OTLP/JSON request of spans [first, first + count) of a huge trace: a tree of LLM and tool calls. */
export function partRequest(traceId: string, first: number, count: number, t0Ms: number, service: string) {
  const id = (i: number) => (i + 1).toString(16).padStart(16, '0');
  const spans = [];
  for (let i = first; i < first + count; i++) {
    const llm = i % 3 === 1;
    const startNs = BigInt(t0Ms) * 1_000_000n + BigInt(i) * 1_000_000n;
    const attributes = [
      { key: 'step', value: { intValue: String(i) } },
      ...(llm
        ? [
            { key: 'gen_ai.operation.name', value: { stringValue: 'chat' } },
            { key: 'gen_ai.system', value: { stringValue: 'openai' } },
            { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o' } },
            { key: 'gen_ai.usage.input_tokens', value: { intValue: '420' } },
            { key: 'gen_ai.usage.output_tokens', value: { intValue: '80' } },
            { key: 'gen_ai.prompt', value: { stringValue: text(i, 600) } },
            { key: 'gen_ai.completion', value: { stringValue: text(i + 1, 300) } },
          ]
        : [{ key: 'tool.name', value: { stringValue: 'lookup' } }]),
    ];
    spans.push({
      traceId,
      spanId: id(i),
      parentSpanId: i === 0 ? '' : id(Math.floor((i - 1) / 8)),
      name: i === 0 ? 'invoke_agent' : llm ? 'chat gpt-4o' : 'execute_tool lookup',
      kind: i === 0 ? 2 : 1,
      startTimeUnixNano: startNs.toString(),
      endTimeUnixNano: (startNs + 800_000n).toString(),
      attributes,
      status: {},
    });
  }
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeSpans: [{ scope: { name: 'bench-huge-trace' }, spans }],
      },
    ],
  };
}

/** Posts a request, retrying while llmp answers 429/503 (its bounds), as an SDK exporter does. */
export async function post(url: string, body: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    await response.arrayBuffer();
    if (response.ok) return;
    if (response.status !== 429 && response.status !== 503)
      throw new Error(`export: HTTP ${response.status}`);
    await new Promise((r) => setTimeout(r, Number(response.headers.get('retry-after') ?? 1) * 1000));
  }
  throw new Error('export: still refused after 200 attempts');
}

/** Peaks of what `/metrics` says holds the process's memory: the engine's tracked bytes, V8's heap and external. */
interface MemoryPeaks {
  engineMiB: number;
  heapUsedMiB: number;
  externalMiB: number;
}

/**
 * Scrapes llmp's `/metrics` every 500 ms while `work` runs and keeps the peak of the engine's
 * tracked memory (`llmp_store_engine_memory_bytes`), V8's used heap and external memory, so a
 * phase's peak RSS can be told apart: engine, JavaScript heap, buffers.
 */
async function sampleMemory<T>(
  metrics: () => Promise<string>,
  work: () => Promise<T>,
): Promise<{ result: T; peaks: MemoryPeaks }> {
  const peaks: MemoryPeaks = { engineMiB: 0, heapUsedMiB: 0, externalMiB: 0 };
  const read = (text: string, name: string) =>
    Math.round(Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? 0) / 2 ** 20);
  let running = true;
  const sampler = (async () => {
    while (running) {
      try {
        const text = await metrics();
        peaks.engineMiB = Math.max(peaks.engineMiB, read(text, 'llmp_store_engine_memory_bytes'));
        peaks.heapUsedMiB = Math.max(peaks.heapUsedMiB, read(text, 'nodejs_heap_size_used_bytes'));
        peaks.externalMiB = Math.max(peaks.externalMiB, read(text, 'nodejs_external_memory_bytes'));
      } catch {
        // a scrape refused while busy: the next one counts
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  })();
  try {
    return { result: await work(), peaks };
  } finally {
    running = false;
    await sampler;
  }
}

interface TracePage {
  spans: Array<{ spanId: string }>;
  next_cursor?: string;
}

/**
 * huge-trace: traces of 30 000 and 100 000 spans sent to `llmp start` over OTLP/HTTP in parts of
 * 512 (an SDK batch), then read by id (the first part of 10 000 spans) and paged whole, with the
 * process's peak RSS against the engine's configured bound.
 */
export async function hugeTraceScenario({
  sizes = [30_000, 100_000],
  maxMemory = '1GiB',
  root,
}: {
  sizes?: number[];
  maxMemory?: string;
  /** The checkout whose `llmp start` runs (BENCH_BASELINE); this one when unset. */
  root?: string | undefined;
} = {}) {
  const dir = tempDir('bench-huge');
  const llmp = await startLlmp({
    dataDir: `${dir.path}/data`,
    extraYaml: `clickhouse:\n  embedded:\n    maxMemory: ${maxMemory}\n`,
    ...(root ? { root } : {}),
  });
  const pid = llmp.child.pid!;
  const traces: Record<string, unknown> = {};
  try {
    for (const size of sizes) {
      const traceId = randomBytes(16).toString('hex');
      const service = `huge-${size}`;
      const t0Ms = Date.now() - 3_600_000;
      const metrics = async () => (await llmp.api('/metrics')).text();
      const phase = <T>(work: () => Promise<T>) =>
        sampleMemory(metrics, () => samplePeakRss(pid, work)).then(({ result, peaks }) => ({
          ...result,
          peaks,
        }));
      const ingest = await phase(async () => {
        const t0 = performance.now();
        for (let first = 0; first < size; first += 512) {
          const body = JSON.stringify(
            partRequest(traceId, first, Math.min(512, size - first), t0Ms, service),
          );
          await post(`http://127.0.0.1:${llmp.httpPort}/v1/traces`, body);
        }
        const acknowledgedSeconds = (performance.now() - t0) / 1000;
        // Stored when the search sees every span of it.
        const from = new Date(t0Ms - 60_000).toISOString();
        for (;;) {
          const response = await llmp.api(`/v1/traces?from=${from}&service=${service}&limit=1`);
          const body = (await response.json()) as { traces?: Array<{ spanCount: number }> };
          if (body.traces?.[0]?.spanCount === size) break;
          if (performance.now() - t0 > 600_000) throw new Error(`trace of ${size} not stored in 10 min`);
          await new Promise((r) => setTimeout(r, 500));
        }
        return { acknowledgedSeconds, storedSeconds: (performance.now() - t0) / 1000 };
      });
      process.stderr.write(`huge-trace ${size}: ingested ${JSON.stringify(ingest)}\n`);
      const firstPart = await phase(async () => {
        const times: number[] = [];
        let spans = 0;
        for (let i = 0; i < 3; i++) {
          const t0 = performance.now();
          const body = (await (await llmp.api(`/v1/traces/${traceId}`)).json()) as TracePage;
          times.push(performance.now() - t0);
          spans = body.spans.length;
        }
        return { medianMs: Math.round(median(times)), spans };
      });
      process.stderr.write(`huge-trace ${size}: first part ${JSON.stringify(firstPart)}\n`);
      const paged = await phase(async () => {
        const t0 = performance.now();
        const seen = new Set<string>();
        let cursor: string | undefined;
        let parts = 0;
        do {
          const body = (await (
            await llmp.api(`/v1/traces/${traceId}?limit=10000${cursor ? `&cursor=${cursor}` : ''}`)
          ).json()) as TracePage;
          for (const s of body.spans) seen.add(s.spanId);
          cursor = body.next_cursor;
          parts++;
          // A cursor that does not move on would page for ever (it did, before the fix).
          if (parts > Math.ceil(size / 10_000) + 1) throw new Error(`paging ${size} spans did not end`);
        } while (cursor);
        return { ms: Math.round(performance.now() - t0), parts, distinctSpans: seen.size };
      });
      traces[`${size}`] = {
        acknowledgedSeconds: Math.round(ingest.result.acknowledgedSeconds * 10) / 10,
        storedSeconds: Math.round(ingest.result.storedSeconds * 10) / 10,
        ingestPeakRssMiB: ingest.peakMiB,
        ingestPeaks: ingest.peaks,
        firstPartMs: firstPart.result.medianMs,
        firstPartSpans: firstPart.result.spans,
        firstPartPeakRssMiB: firstPart.peakMiB,
        firstPartPeaks: firstPart.peaks,
        pagedWholeMs: paged.result.ms,
        pagedParts: paged.result.parts,
        pagedDistinctSpans: paged.result.distinctSpans,
        pagedPeakRssMiB: paged.peakMiB,
        pagedPeaks: paged.peaks,
      };
    }
    return {
      scenario: root ? `huge-trace (${root})` : 'huge-trace',
      command: `llmp start (clickhouse.embedded.maxMemory ${maxMemory}); OTLP/HTTP JSON in parts of 512 spans; GET /v1/traces/{id} (10 000 spans a part)`,
      traces,
      peakRssMiB: peakRssMiB(pid),
    };
  } finally {
    await llmp.stop('SIGTERM');
    dir.remove();
  }
}
