import { type ClickHouseStore, migrate, storeTraceSource } from '@llmp/clickhouse';
import { traceBatch } from '@llmp/otlp';
import { queryApp } from '@llmp/query-api';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { genAiIngest } from '../support/genAiIngest.ts';
import { insertSpans } from '../support/insertSpans.ts';
import { type DataSpan, dataSetRequests, dataSetStartMs, searchDataSet } from '../support/searchDataSet.ts';
import { tempDir } from '../support/tempDir.ts';
import { openTestStore } from '../support/testStore.ts';

const dir = tempDir('search');
const data = searchDataSet(60);
const range = {
  from: new Date(dataSetStartMs).toISOString(),
  to: new Date(dataSetStartMs + 86_400_000).toISOString(),
};
let store: ClickHouseStore;
let app: Hono;

beforeAll(async () => {
  store = await openTestStore(dir.path);
  await migrate(store);
  const genai = genAiIngest(store);
  for (const request of dataSetRequests(data)) await genai.consume(traceBatch({ projectId: 'p1', request }));
  // The same trace ids in another project must never show.
  await genai.consume(traceBatch({ projectId: 'other', request: dataSetRequests(data)[0]! }));
  app = queryApp({ source: storeTraceSource(store), projectOf: () => 'p1' });
});

afterAll(async () => {
  await store?.close();
  dir.remove();
});

interface TraceRow {
  traceId: string;
  rootName: string;
  serviceName: string;
  startTimeUnixNano: string;
  durationNs: string;
  spanCount: number;
  errorCount: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number | null;
  jobId: string | null;
  jobVersion: string | null;
}

interface SpanRow {
  traceId: string;
  spanId: string;
  spanType: string;
  requestModel: string | null;
  durationNs: string;
}

async function get(path: string, params: Record<string, string | number> = {}) {
  const query = new URLSearchParams(
    Object.entries({ ...range, ...params }).map(([k, v]): [string, string] => [k, String(v)]),
  );
  const response = await app.request(`${path}?${query}`);
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    body: (await response.json()) as never,
  };
}

/** Every page of a search, following next_cursor. */
async function allPages<T>(kind: 'traces' | 'spans', params: Record<string, string | number>) {
  const items: T[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const { status, body } = await get(`/v1/${kind}`, { ...params, ...(cursor ? { cursor } : {}) });
    expect(status).toBe(200);
    const page = body as Record<string, unknown> & { next_cursor: string | null };
    items.push(...(page[kind] as T[]));
    cursor = page.next_cursor;
    pages++;
    expect(pages).toBeLessThan(100);
  } while (cursor);
  return { items, pages };
}

const traceIdsWhere = (keep: (s: DataSpan) => boolean) => new Set(data.filter(keep).map((s) => s.traceId));
const roots = data.filter((s) => s.parentSpanId === '');
const priceOf = (s: DataSpan) =>
  s.provider === 'openai'
    ? (s.inputTokens * 2.5 + s.outputTokens * 10) / 1e6
    : (s.inputTokens * 3 + s.outputTokens * 15) / 1e6;

describe('GET /v1/traces', () => {
  it('pages through every trace, newest first, with no gap and no repeat', async () => {
    const { items, pages } = await allPages<TraceRow>('traces', { limit: 7 });
    expect(pages).toBe(9);
    const expected = [...roots].sort((a, b) => Number(b.startNs - a.startNs)).map((s) => s.traceId);
    expect(items.map((t) => t.traceId)).toEqual(expected);
  });

  it('pages by duration through ties in trace id order', async () => {
    const { items } = await allPages<TraceRow>('traces', { sort: 'duration', order: 'asc', limit: 4 });
    const expected = [...roots]
      .sort((a, b) => Number(a.durationNs - b.durationNs) || (a.traceId < b.traceId ? -1 : 1))
      .map((s) => s.traceId);
    expect(items.map((t) => t.traceId)).toEqual(expected);
    expect(new Set(items.map((t) => t.traceId)).size).toBe(60);
  });

  it('summarises a trace: root, service, start, duration, counts, tokens, cost, job', async () => {
    const { body } = await get('/v1/traces', {
      jobId: 'job-x',
      jobVersion: '1',
      service: 'svc-a',
      limit: 100,
    });
    const traces = (body as { traces: TraceRow[] }).traces;
    // i % 8 === 0 and i % 3 === 0: i in {0, 24, 48}.
    expect(traces.map((t) => t.traceId)).toEqual(
      [48, 24, 0].map((i) => (0xa0000 + i).toString(16).padStart(32, '0')),
    );
    const zero = traces[2]!;
    const llm = data.find((s) => s.traceId === zero.traceId && s.spanType === 'llm')!;
    expect(zero).toMatchObject({
      rootName: 'handle',
      serviceName: 'svc-a',
      startTimeUnixNano: (BigInt(dataSetStartMs) * 1_000_000n).toString(),
      durationNs: '10000000',
      spanCount: 3,
      errorCount: 1,
      inputTokens: llm.inputTokens,
      outputTokens: llm.outputTokens,
      jobId: 'job-x',
      jobVersion: '1',
    });
    expect(zero.costUsd).toBeCloseTo(priceOf(llm), 12);
  });

  it.each<[string, Record<string, string | number>, (s: DataSpan) => boolean]>([
    ['service', { service: 'svc-b' }, (s) => s.service === 'svc-b'],
    ['span name', { spanName: 'execute_tool search' }, (s) => s.name === 'execute_tool search'],
    ['job', { jobId: 'job-x' }, (s) => s.jobId === 'job-x'],
    ['job version', { jobVersion: '2' }, (s) => s.jobVersion === '2'],
    ['model', { model: 'gpt-4o' }, (s) => s.model === 'gpt-4o'],
    ['provider', { provider: 'anthropic' }, (s) => s.provider === 'anthropic'],
    ['span type', { spanType: 'tool' }, (s) => s.spanType === 'tool'],
    ['status', { status: 'error' }, (s) => s.error],
    ['session', { sessionId: 's-3' }, (s) => s.sessionId === 's-3'],
    ['user', { userId: 'u-2' }, (s) => s.userId === 'u-2'],
    ['attribute', { 'attr.tenant': 'acme' }, (s) => s.tenant === 'acme'],
    ['two filters', { model: 'gpt-4o', userId: 'u-0' }, (s) => s.model === 'gpt-4o' && s.userId === 'u-0'],
    [
      'time range',
      {
        from: new Date(dataSetStartMs + 600_000).toISOString(),
        to: new Date(dataSetStartMs + 1_200_000).toISOString(),
      },
      (s) =>
        s.startNs >= BigInt(dataSetStartMs + 600_000) * 1_000_000n &&
        s.startNs < BigInt(dataSetStartMs + 1_200_000) * 1_000_000n,
    ],
  ])('filters by %s', async (_label, params, keep) => {
    const expected = traceIdsWhere(keep);
    expect(expected.size).toBeGreaterThan(0);
    expect(expected.size).toBeLessThan(60);
    const { items } = await allPages<TraceRow>('traces', { ...params, limit: 500 });
    expect(new Set(items.map((t) => t.traceId))).toEqual(expected);
    expect(items).toHaveLength(expected.size);
  });

  it.each(['desc', 'asc'] as const)(
    'pages a filtered search by start (%s) in order, each trace summarised whole',
    async (order) => {
      const { items, pages } = await allPages<TraceRow>('traces', { model: 'gpt-4o', order, limit: 4 });
      const matching = traceIdsWhere((s) => s.model === 'gpt-4o');
      const expected = roots
        .filter((s) => matching.has(s.traceId))
        .sort((a, b) => Number(order === 'desc' ? b.startNs - a.startNs : a.startNs - b.startNs))
        .map((s) => s.traceId);
      expect(pages).toBe(Math.ceil(expected.length / 4));
      expect(items.map((t) => t.traceId)).toEqual(expected);
      for (const t of items) {
        expect(t.spanCount).toBe(data.filter((s) => s.traceId === t.traceId).length);
      }
    },
  );

  it('pages traces that start at the same instant in trace id order', async () => {
    const t0 = BigInt(dataSetStartMs) * 1_000_000n;
    const ids = ['f1', 'f5', 'f3', 'f2', 'f4'].map((p) => p.repeat(16));
    const spans = ids.map((traceId, i) => ({
      ...data[0]!,
      traceId,
      spanId: `f${i}`.padEnd(16, '0'),
      startNs: t0,
    }));
    for (const request of dataSetRequests(spans)) {
      await genAiIngest(store).consume(traceBatch({ projectId: 'ties', request }));
    }
    const ties = queryApp({ source: storeTraceSource(store), projectOf: () => 'ties' });
    for (const order of ['desc', 'asc'] as const) {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const query = new URLSearchParams({ ...range, order, limit: '2', ...(cursor ? { cursor } : {}) });
        const page = (await (await ties.request(`/v1/traces?${query}`)).json()) as {
          traces: TraceRow[];
          next_cursor: string | null;
        };
        seen.push(...page.traces.map((t) => t.traceId));
        cursor = page.next_cursor;
      } while (cursor && seen.length < 10);
      const sorted = [...ids].sort();
      expect(seen).toEqual(order === 'asc' ? sorted : sorted.reverse());
    }
  });

  it('filters by trace duration bounds', async () => {
    const { items } = await allPages<TraceRow>('traces', {
      minDurationMs: 50,
      maxDurationMs: 100,
      limit: 500,
    });
    const expected = roots.filter((s) => s.durationNs >= 50_000_000n && s.durationNs <= 100_000_000n);
    expect(items).toHaveLength(expected.length);
    expect(
      items.every((t) => BigInt(t.durationNs) >= 50_000_000n && BigInt(t.durationNs) <= 100_000_000n),
    ).toBe(true);
  });

  it('sorts by duration a trace sent in two requests, each shorter than other traces, by its whole length', async () => {
    // Each request holding a trace's spans stores a trace_search row with that request's extent:
    // the long trace's two rows last 10 ms each, the trace 5.01 s, longer than every other.
    const ms = 1_000_000n;
    const at = BigInt(dataSetStartMs + 3_600_000) * ms;
    const root = data[0]!;
    const single = (i: number): DataSpan => ({
      ...root,
      traceId: `e${String(i).padStart(31, '0')}`,
      spanId: `e${String(i).padStart(15, '0')}`,
      startNs: at + BigInt(i) * 60_000n * ms,
      durationNs: BigInt(i + 1) * 100n * ms,
      error: i % 2 === 0,
    });
    const long = 'f'.repeat(32);
    const first: DataSpan = {
      ...root,
      traceId: long,
      spanId: 'f'.repeat(16),
      startNs: at,
      durationNs: 10n * ms,
    };
    const second: DataSpan = {
      ...first,
      spanId: `${'f'.repeat(15)}e`,
      parentSpanId: first.spanId,
      startNs: at + 5_000n * ms,
      error: true,
    };
    const ingest = genAiIngest(store);
    const requests = [[first], Array.from({ length: 12 }, (_, i) => single(i)), [second]];
    for (const spans of requests)
      for (const request of dataSetRequests(spans))
        await ingest.consume(traceBatch({ projectId: 'durations', request }));
    const durations = queryApp({ source: storeTraceSource(store), projectOf: () => 'durations' });
    const singles = Array.from({ length: 12 }, (_, i) => single(i).traceId);
    const errors = singles.filter((_, i) => i % 2 === 0);
    const cases: Array<[Record<string, string>, string[]]> = [
      [{ sort: 'duration' }, [long, ...[...singles].reverse()]],
      [{ sort: 'duration', order: 'asc' }, [...singles, long]],
      [
        { sort: 'duration', status: 'error', minDurationMs: '300' },
        [long, ...[...errors].reverse().slice(0, 5)],
      ],
    ];
    for (const [params, expected] of cases) {
      const seen: TraceRow[] = [];
      let cursor: string | null = null;
      do {
        const query = new URLSearchParams({ ...range, limit: '2', ...params, ...(cursor ? { cursor } : {}) });
        const page = (await (await durations.request(`/v1/traces?${query}`)).json()) as {
          traces: TraceRow[];
          next_cursor: string | null;
        };
        seen.push(...page.traces);
        cursor = page.next_cursor;
      } while (cursor && seen.length < 30);
      expect(seen.map((t) => t.traceId)).toEqual(expected);
      expect(seen.find((t) => t.traceId === long)).toMatchObject({
        durationNs: String(5_010n * ms),
        spanCount: 2,
      });
    }
  });

  it('summarises a trace whole when only some of its spans fall in the time range', async () => {
    const traceId = 'e'.repeat(32);
    const minute = 60_000_000_000n;
    const t0 = BigInt(dataSetStartMs) * 1_000_000n;
    const [request] = dataSetRequests([
      { ...data[0]!, traceId, spanId: 'e000000000000001', startNs: t0 - minute, durationNs: 2n * minute },
      {
        ...data[1]!,
        traceId,
        spanId: 'e000000000000002',
        parentSpanId: 'e000000000000001',
        startNs: t0 + minute,
      },
    ]);
    await genAiIngest(store).consume(traceBatch({ projectId: 'boundary', request: request! }));
    const boundary = queryApp({ source: storeTraceSource(store), projectOf: () => 'boundary' });
    const query = new URLSearchParams({ from: new Date(dataSetStartMs).toISOString(), to: range.to });
    const { traces } = (await (await boundary.request(`/v1/traces?${query}`)).json()) as {
      traces: TraceRow[];
    };
    expect(traces).toHaveLength(1);
    expect(traces[0]).toMatchObject({
      traceId,
      rootName: 'handle',
      startTimeUnixNano: (t0 - minute).toString(),
      // The child ends after the root.
      durationNs: String(2n * minute + data[1]!.durationNs),
      spanCount: 2,
      inputTokens: data[1]!.inputTokens,
    });
  });

  it('pages newest first across a trace sent in two requests whose first span is older than the recent ones', async () => {
    // Newest first, a search reads back from the end of the range in windows (searchTraces.ts):
    // the late trace's second request falls in the first window, its start does not.
    const ms = 1_000_000n;
    const topMs = dataSetStartMs + 10 * 3_600_000;
    const at = (minutesBefore: number) => BigInt(topMs - minutesBefore * 60_000) * ms;
    const root = data[0]!;
    const llm = data.find((s) => s.traceId === root.traceId && s.spanType === 'llm')!;
    const trace = (id: string, minutesBefore: number) => [
      { ...root, traceId: id, spanId: `${id.slice(0, 15)}1`, startNs: at(minutesBefore) },
      {
        ...llm,
        traceId: id,
        spanId: `${id.slice(0, 15)}2`,
        parentSpanId: `${id.slice(0, 15)}1`,
        startNs: at(minutesBefore) + ms,
      },
    ];
    const late = 'd'.repeat(32);
    const [lateRoot, lateChild] = trace(late, 120);
    const ingest = genAiIngest(store);
    await ingest.consume(traceBatch({ projectId: 'windows', request: dataSetRequests([lateRoot!])[0]! }));
    const recent = ['c1', 'c2', 'c3'].map((p) => p.repeat(16));
    for (const [i, id] of recent.entries()) {
      await ingest.consume(
        traceBatch({ projectId: 'windows', request: dataSetRequests(trace(id, 30 - i * 10))[0]! }),
      );
    }
    await ingest.consume(
      traceBatch({ projectId: 'windows', request: dataSetRequests([{ ...lateChild!, startNs: at(5) }])[0]! }),
    );
    const windows = queryApp({ source: storeTraceSource(store), projectOf: () => 'windows' });
    for (const filter of [{}, { model: llm.model }] as Array<Record<string, string>>) {
      const seen: TraceRow[] = [];
      let cursor: string | null = null;
      do {
        const query = new URLSearchParams({
          from: new Date(dataSetStartMs).toISOString(),
          to: new Date(topMs).toISOString(),
          limit: '2',
          ...filter,
          ...(cursor ? { cursor } : {}),
        });
        const page = (await (await windows.request(`/v1/traces?${query}`)).json()) as {
          traces: TraceRow[];
          next_cursor: string | null;
        };
        seen.push(...page.traces);
        cursor = page.next_cursor;
      } while (cursor && seen.length < 10);
      expect(seen.map((t) => t.traceId)).toEqual([...recent].reverse().concat(late));
      expect(seen[3]).toMatchObject({ startTimeUnixNano: at(120).toString(), spanCount: 2 });
    }
  });

  it('pages newest first when the newest rows of a window mostly belong to traces that start before it', async () => {
    // The window's first traces by their rows there are asked for, then those starting before
    // it dropped (searchTraces.ts): here the two newest rows of the first window belong to
    // such traces, so the page is asked for again, for more traces.
    const ms = 1_000_000n;
    const topMs = dataSetStartMs + 10 * 3_600_000;
    const at = (minutesBefore: number) => BigInt(topMs - minutesBefore * 60_000) * ms;
    const root = data[0]!;
    const llm = data.find((s) => s.traceId === root.traceId && s.spanType === 'llm')!;
    const span = (id: string, n: number, minutesBefore: number) => ({
      ...(n === 1 ? root : llm),
      traceId: id,
      spanId: `${id.slice(0, 15)}${n}`,
      parentSpanId: n === 1 ? '' : `${id.slice(0, 15)}1`,
      startNs: at(minutesBefore),
    });
    const project = 'late-windows';
    const ingest = genAiIngest(store);
    const send = (spans: DataSpan[]) =>
      ingest.consume(traceBatch({ projectId: project, request: dataSetRequests(spans)[0]! }));
    const late = ['e1', 'e2', 'e3'].map((p) => p.repeat(16));
    for (const id of late) await send([span(id, 1, 300)]);
    const recent = ['f1', 'f2'].map((p) => p.repeat(16));
    for (const [i, id] of recent.entries()) await send([span(id, 1, 40 - i * 10), span(id, 2, 39 - i * 10)]);
    for (const [i, id] of late.entries()) await send([span(id, 2, 3 + i)]);
    const app = queryApp({ source: storeTraceSource(store), projectOf: () => project });
    for (const filter of [{}, { service: root.service }] as Array<Record<string, string>>) {
      const seen: TraceRow[] = [];
      let cursor: string | null = null;
      do {
        const query = new URLSearchParams({
          from: new Date(dataSetStartMs).toISOString(),
          to: new Date(topMs).toISOString(),
          limit: '1',
          ...filter,
          ...(cursor ? { cursor } : {}),
        });
        const page = (await (await app.request(`/v1/traces?${query}`)).json()) as {
          traces: TraceRow[];
          next_cursor: string | null;
        };
        seen.push(...page.traces);
        cursor = page.next_cursor;
      } while (cursor && seen.length < 10);
      expect(seen.map((t) => t.traceId)).toEqual([...recent].reverse().concat([...late].reverse()));
      expect(seen.map((t) => t.spanCount)).toEqual([2, 2, 2, 2, 2]);
    }
  });

  it('finds by job a trace whose spans in the range name no job, through its link', async () => {
    // The root names the job and lies before the range; the child, in a later request, names
    // none: only trace_jobs ties it to the job (traceJobAttribution.ts).
    const ms = 1_000_000n;
    const topMs = dataSetStartMs + 10 * 3_600_000;
    const at = (minutesBefore: number) => BigInt(topMs - minutesBefore * 60_000) * ms;
    const root = data[0]!;
    const llm = data.find((s) => s.traceId === root.traceId && s.spanType === 'llm')!;
    const project = 'linked-job';
    const id = 'ab'.repeat(16);
    const job = { jobId: 'job-linked', jobVersion: '7' };
    const ingest = genAiIngest(store);
    const send = (spans: DataSpan[]) =>
      ingest.consume(traceBatch({ projectId: project, request: dataSetRequests(spans)[0]! }));
    await send([{ ...root, ...job, traceId: id, spanId: `${id.slice(0, 15)}1`, startNs: at(200) }]);
    await send([
      {
        ...llm,
        jobId: '',
        jobVersion: '',
        traceId: id,
        spanId: `${id.slice(0, 15)}2`,
        parentSpanId: `${id.slice(0, 15)}1`,
        startNs: at(10),
      },
    ]);
    const app = queryApp({ source: storeTraceSource(store), projectOf: () => project });
    for (const filter of [{ jobId: job.jobId }, { jobVersion: job.jobVersion }] as Array<
      Record<string, string>
    >) {
      const query = new URLSearchParams({
        from: new Date(topMs - 3_600_000).toISOString(),
        to: new Date(topMs).toISOString(),
        ...filter,
      });
      const page = (await (await app.request(`/v1/traces?${query}`)).json()) as { traces: TraceRow[] };
      expect(
        page.traces.map((t) => [t.traceId, t.spanCount, t.jobId]),
        JSON.stringify(filter),
      ).toEqual([[id, 2, job.jobId]]);
    }
  });

  it('treats SQL-looking values as plain values: they match nothing and do not fail', async () => {
    const injections: Array<Record<string, string>> = [
      { service: "x' OR 1=1 --" },
      { model: "gpt-4o' OR '1'='1" },
      { 'attr.tenant': "acme' OR 1=1 --" },
      { "attr.x'] = '' OR 1=1 --": 'y' },
      { spanName: "handle\\' OR 1=1 --" },
      { userId: '}; DROP TABLE llmp.spans; --' },
    ];
    for (const params of injections) {
      const { status, body } = await get('/v1/traces', params);
      expect(status, JSON.stringify(params)).toBe(200);
      expect((body as { traces: unknown[] }).traces).toEqual([]);
    }
    // The table is still there and whole.
    expect((await allPages<TraceRow>('traces', { limit: 500 })).items).toHaveLength(60);
  });
});

describe('GET /v1/traces/{traceId} in parts', () => {
  it('pages a trace oldest first with no gap and no repeat, and refuses bad limits and cursors', async () => {
    const traceId = data.find((s) => s.spanType === 'tool')!.traceId;
    const expected = data
      .filter((s) => s.traceId === traceId)
      .sort((a, b) => Number(a.startNs - b.startNs))
      .map((s) => s.spanId);
    expect(expected.length).toBe(3);
    const read = async (query: string) => {
      const response = await app.request(`/v1/traces/${traceId}?${query}`);
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const whole = await read('');
    expect((whole.body.spans as Array<{ spanId: string }>).map((s) => s.spanId)).toEqual(expected);
    expect(whole.body.next_cursor).toBeUndefined();
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const { status, body } = await read(`limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(status).toBe(200);
      seen.push(...(body.spans as Array<{ spanId: string }>).map((s) => s.spanId));
      cursor = body.next_cursor as string | undefined;
      pages++;
    } while (cursor && pages < 5);
    expect(pages).toBe(2);
    expect(seen).toEqual(expected);
    expect((await read('limit=0')).status).toBe(400);
    expect((await read('limit=10001')).status).toBe(400);
    expect((await read('cursor=nonsense')).status).toBe(400);
    const first = await read('limit=1');
    const otherTrace = data.find((s) => s.traceId !== traceId)!.traceId;
    const foreign = await app.request(`/v1/traces/${otherTrace}?cursor=${first.body.next_cursor}`);
    expect(foreign.status).toBe(400);
  });
});

describe('GET /v1/spans', () => {
  it('pages through every span with no gap and no repeat', async () => {
    const { items } = await allPages<SpanRow>('spans', { limit: 13 });
    expect(items).toHaveLength(data.length);
    expect(new Set(items.map((s) => `${s.traceId}/${s.spanId}`)).size).toBe(data.length);
  });

  it('filters spans and sorts them by duration', async () => {
    const { items } = await allPages<SpanRow>('spans', { model: 'gpt-4o', sort: 'duration', limit: 8 });
    const expected = data
      .filter((s) => s.model === 'gpt-4o')
      .sort((a, b) => Number(b.durationNs - a.durationNs));
    expect(items.map((s) => s.spanId)).toEqual(expected.map((s) => s.spanId));
    expect(items.every((s) => s.spanType === 'llm' && s.requestModel === 'gpt-4o')).toBe(true);
  });

  it('lists a span stored twice (a sender re-sent its request) once, before any merge collapses the copies', async () => {
    // A sender that retries after a lost acknowledgement sends the same spans in a new request,
    // which no deduplication token recognises: two rows until a merge. Merges are stopped so
    // both copies are there when the search reads.
    const spans = data.slice(0, 40);
    const db = { db: store.database };
    await store.client.command({ query: 'SYSTEM STOP MERGES {db:Identifier}.spans', query_params: db });
    try {
      const ingest = genAiIngest(store);
      for (let copy = 0; copy < 2; copy++)
        for (const request of dataSetRequests(spans))
          await ingest.consume(traceBatch({ projectId: 'twice', request }));
      const stored = await store.client.query({
        query: `SELECT count() AS n FROM {db:Identifier}.spans WHERE project_id = 'twice'`,
        query_params: db,
        format: 'JSONEachRow',
      });
      expect(Number((await stored.json<{ n: string }>())[0]!.n)).toBe(2 * spans.length);
      const twice = queryApp({ source: storeTraceSource(store), projectOf: () => 'twice' });
      const byStart = [...spans].sort(
        (a, b) => Number(a.startNs - b.startNs) || a.spanId.localeCompare(b.spanId),
      );
      const byDuration = [...spans].sort(
        (a, b) =>
          Number(b.durationNs - a.durationNs) ||
          b.traceId.localeCompare(a.traceId) ||
          b.spanId.localeCompare(a.spanId),
      );
      const cases: Array<[Record<string, string>, DataSpan[]]> = [
        [{}, [...byStart].reverse()],
        [{ order: 'asc' }, byStart],
        [{ sort: 'duration' }, byDuration],
      ];
      for (const [params, expected] of cases) {
        const seen: SpanRow[] = [];
        let cursor: string | null = null;
        do {
          const query = new URLSearchParams({
            ...range,
            limit: '7',
            ...params,
            ...(cursor ? { cursor } : {}),
          });
          const page = (await (await twice.request(`/v1/spans?${query}`)).json()) as {
            spans: SpanRow[];
            next_cursor: string | null;
          };
          seen.push(...page.spans);
          cursor = page.next_cursor;
        } while (cursor && seen.length < 3 * spans.length);
        expect(seen.map((s) => `${s.traceId}/${s.spanId}`)).toEqual(
          expected.map((s) => `${s.traceId}/${s.spanId}`),
        );
      }
    } finally {
      await store.client.command({ query: 'SYSTEM START MERGES {db:Identifier}.spans', query_params: db });
    }
  });
});

/** Bounds of an exact quantile: the two order statistics it interpolates between. */
function quantileBounds(values: number[], q: number): [number, number] {
  const sorted = [...values].sort((a, b) => a - b);
  const pos = q * (sorted.length - 1);
  return [sorted[Math.floor(pos)]!, sorted[Math.ceil(pos)]!];
}

interface MetricsRow {
  group: Record<string, string>;
  time?: string;
  count: number;
  errorCount: number;
  errorRate: number;
  durationNs: { p50: number; p90: number; p99: number };
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

describe('GET /v1/metrics', () => {
  it('groups by model: counts, errors, latency quantiles, tokens and cost', async () => {
    const { status, body } = await get('/v1/metrics', { groupBy: 'model' });
    expect(status).toBe(200);
    const rows = (body as { rows: MetricsRow[] }).rows;
    expect(rows.map((r) => r.group.model)).toEqual(['', 'claude-sonnet-4-20250514', 'gpt-4o']);
    for (const row of rows) {
      const spans = data.filter((s) => s.model === row.group.model);
      expect(row.count).toBe(spans.length);
      expect(row.errorCount).toBe(spans.filter((s) => s.error).length);
      expect(row.errorRate).toBeCloseTo(row.errorCount / row.count, 12);
      const durations = spans.map((s) => Number(s.durationNs));
      for (const [q, key] of [
        [0.5, 'p50'],
        [0.9, 'p90'],
        [0.99, 'p99'],
      ] as const) {
        const [low, high] = quantileBounds(durations, q);
        expect(row.durationNs[key]).toBeGreaterThanOrEqual(low);
        expect(row.durationNs[key]).toBeLessThanOrEqual(high);
      }
      expect(row.inputTokens).toBe(spans.reduce((n, s) => n + s.inputTokens, 0));
      expect(row.outputTokens).toBe(spans.reduce((n, s) => n + s.outputTokens, 0));
      expect(row.costUsd).toBeCloseTo(
        spans.filter((s) => s.model).reduce((n, s) => n + priceOf(s), 0),
        10,
      );
    }
  });

  it('groups by two dimensions per time step', async () => {
    const { body } = await get('/v1/metrics', { groupBy: 'service,spanType', step: '1h' });
    const rows = (body as { rows: MetricsRow[]; step: string }).rows;
    const expected = new Map<string, number>();
    for (const s of data) {
      // Bucket times have the API's one precision: nine fraction digits.
      const hour = new Date(Math.floor(Number(s.startNs / 1_000_000n) / 3_600_000) * 3_600_000)
        .toISOString()
        .replace(/\.000Z$/, '.000000000Z');
      const key = `${hour}|${s.service}|${s.spanType}`;
      expected.set(key, (expected.get(key) ?? 0) + 1);
    }
    expect(new Map(rows.map((r) => [`${r.time}|${r.group.service}|${r.group.spanType}`, r.count]))).toEqual(
      expected,
    );
    expect(rows.reduce((n, r) => n + r.count, 0)).toBe(data.length);
  });

  it('applies the same filters as search', async () => {
    const { body } = await get('/v1/metrics', { groupBy: 'jobVersion', jobId: 'job-x', spanType: 'llm' });
    const rows = (body as { rows: MetricsRow[] }).rows;
    expect(rows.map((r) => [r.group.jobVersion, r.count])).toEqual([
      ['1', data.filter((s) => s.jobVersion === '1' && s.spanType === 'llm').length],
      ['2', data.filter((s) => s.jobVersion === '2' && s.spanType === 'llm').length],
    ]);
  });

  it('counts rows written before the genai processor (empty span type) as other', async () => {
    await insertSpans(store, [
      {
        project_id: 'legacy',
        Timestamp: '2025-06-02 00:00:01.000000000',
        TraceId: 'f'.repeat(32),
        SpanId: '1'.repeat(16),
        span_type: '',
      },
    ]);
    const legacy = queryApp({ source: storeTraceSource(store), projectOf: () => 'legacy' });
    const query = new URLSearchParams({ ...range, groupBy: 'spanType' });
    const metrics = (await (await legacy.request(`/v1/metrics?${query}`)).json()) as { rows: MetricsRow[] };
    expect(metrics.rows.map((r) => [r.group.spanType, r.count])).toEqual([['other', 1]]);
    const spans = (await (
      await legacy.request(`/v1/spans?${new URLSearchParams({ ...range, spanType: 'other' })}`)
    ).json()) as {
      spans: SpanRow[];
    };
    expect(spans.spans.map((s) => s.traceId)).toEqual(['f'.repeat(32)]);
  });

  it('bounds its answer and says when rows were left out', async () => {
    const { body } = await get('/v1/metrics', { groupBy: 'service,spanName', limit: 2 });
    expect((body as { rows: unknown[]; truncated: boolean }).rows).toHaveLength(2);
    expect((body as { truncated: boolean }).truncated).toBe(true);
  });
});
