import {
  type ClickHouseStore,
  clickhouseExporter,
  clickhouseExporterConfig,
  migrate,
  storeTraceSource,
} from '@llmp/clickhouse';
import { jobStore, linkedTraceSource } from '@llmp/jobs';
import { type Span, traceBatch } from '@llmp/otlp';
import { stringAttr, testSpan } from '@llmp/otlp/testing';
import { queryApp } from '@llmp/query-api';
import type { Hono } from 'hono';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/tempDir.ts';
import { openTestStore } from '../support/testStore.ts';

// Issue 21, item 5: a trace of 30 000 spans read by id in bounded parts over the embedded store,
// through the query API as `llmp start` and `llmp query` wire it (spans linked to the trace's job).
const dir = tempDir('huge-trace');
let store: ClickHouseStore;
let app: Hono;
const size = 30_000;
const traceId = 'c0ffee'.padEnd(32, '1');
const smallTraceId = 'c0ffee'.padEnd(32, '2');
const t0 = 1_750_000_000n * 1_000_000_000n;
const spanId = (i: number) => (i + 1).toString(16).padStart(16, '0');
// Three spans share each start time, so a part may end inside a run of equal starts: the cursor
// must carry the span id as well to neither skip nor repeat one.
const span = (i: number, trace = traceId): Span =>
  testSpan({
    traceId: trace,
    spanId: spanId(i),
    parentSpanId: i === 0 ? '' : spanId(Math.floor((i - 1) / 8)),
    name: i % 3 === 1 ? 'chat gpt-4o' : 'execute_tool lookup',
    startTimeUnixNano: t0 + BigInt(Math.floor(i / 3)) * 1_000_000n,
    endTimeUnixNano: t0 + BigInt(Math.floor(i / 3)) * 1_000_000n + 500_000n,
    attributes: [
      stringAttr('step', String(i)),
      ...(i === 0 ? [stringAttr('llmp.job.id', 'huge-job')] : []),
      ...(i % 3 === 1 ? [stringAttr('gen_ai.prompt', `question ${i} `.repeat(20))] : []),
    ],
  });

/** Spans [first, first + count) of a trace in one request. */
const request = (spans: Span[]) => ({
  resourceSpans: [
    {
      resource: { attributes: [stringAttr('service.name', 'huge')], droppedAttributesCount: 0 },
      schemaUrl: '',
      scopeSpans: [
        {
          scope: { name: 's', version: '', attributes: [], droppedAttributesCount: 0 },
          schemaUrl: '',
          spans,
        },
      ],
    },
  ],
});

interface TraceBody {
  traceId: string;
  spans: Array<{ spanId: string; startTimeUnixNano: string; jobId: string | null }>;
  next_cursor?: string;
}

const read = async (query = '', id = traceId) => {
  const response = await app.request(`/v1/traces/${id}${query}`);
  return { response, body: (await response.json()) as TraceBody & Record<string, unknown> };
};

beforeAll(async () => {
  store = await openTestStore(dir.path);
  await migrate(store);
  app = queryApp({
    source: linkedTraceSource(storeTraceSource(store), jobStore(store)),
    jobs: jobStore(store),
  });
  const exporter = clickhouseExporter(
    store,
    { id: 'clickhouse', logger: pino({ level: 'silent' }) },
    clickhouseExporterConfig.parse({ fsync: false }),
  );
  // Sent in parts, out of order, as an SDK's batches of a long-running agent arrive; the
  // first part again at the end (a sender's retry after a lost acknowledgement).
  const parts: Span[][] = [];
  for (let first = 0; first < size; first += 5_000)
    parts.push(Array.from({ length: 5_000 }, (_, i) => span(first + i)));
  for (const spans of [...parts.slice(1), parts[0]!, parts[0]!.slice(0, 100)]) {
    await exporter.consume(traceBatch({ projectId: 'default', request: request(spans) }));
  }
  const small = [0, 1, 2].map((i) => span(i, smallTraceId));
  await exporter.consume(traceBatch({ projectId: 'default', request: request(small) }));
}, 240_000);
afterAll(async () => {
  await store?.close();
  dir.remove();
});

describe('GET /v1/traces/{traceId} of a 30 000-span trace', () => {
  it('answers a bounded first part by default, with a cursor to go on', async () => {
    const { response, body } = await read();
    expect(response.status).toBe(200);
    expect(body.traceId).toBe(traceId);
    expect(body.spans).toHaveLength(10_000);
    expect(body.spans.slice(0, 4).map((s) => s.spanId)).toEqual([0, 1, 2, 3].map(spanId));
    expect(typeof body.next_cursor).toBe('string');
  });

  it('pages the whole trace: every span exactly once, oldest first, until the cursor ends', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let parts = 0;
    let previous = -1n;
    do {
      const { response, body } = await read(`?limit=7000${cursor ? `&cursor=${cursor}` : ''}`);
      expect(response.status).toBe(200);
      expect(body.spans.length).toBeLessThanOrEqual(7_000);
      for (const s of body.spans) {
        const start = BigInt(s.startTimeUnixNano);
        expect(start >= previous).toBe(true);
        previous = start;
        // The whole trace is linked to the job its root span named, page by page.
        expect(s.jobId).toBe('huge-job');
      }
      seen.push(...body.spans.map((s) => s.spanId));
      cursor = body.next_cursor;
      parts++;
    } while (cursor && parts < 10);
    expect(parts).toBe(5);
    expect(seen).toHaveLength(size);
    expect(new Set(seen).size).toBe(size);
    expect(seen).toEqual(Array.from({ length: size }, (_, i) => spanId(i)));
  });

  it('refuses a limit past the bound and a cursor of another trace with problem JSON', async () => {
    for (const limit of ['10001', '0', '-1', '1.5', 'all']) {
      const { response, body } = await read(`?limit=${limit}`);
      expect(response.status, limit).toBe(400);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(body).toMatchObject({ status: 400, title: 'Invalid limit' });
    }
    const { body } = await read('?limit=5');
    const foreign = await read(`?cursor=${body.next_cursor}`, smallTraceId);
    expect(foreign.response.status).toBe(400);
  });

  it('answers a small trace whole, without a cursor, as before parts existed', async () => {
    const { response, body } = await read('', smallTraceId);
    expect(response.status).toBe(200);
    expect(body.spans.map((s) => s.spanId)).toEqual([0, 1, 2].map(spanId));
    expect(body.next_cursor).toBeUndefined();
  });

  it('links a single span read to the trace job as the trace read links it', async () => {
    // Span 2 names no job; its trace's root span named `huge-job`.
    const response = await app.request(`/v1/traces/${smallTraceId}/spans/${spanId(2)}`);
    expect(response.status).toBe(200);
    const single = (await response.json()) as { spanId: string; jobId: string | null };
    expect(single.spanId).toBe(spanId(2));
    expect(single.jobId).toBe('huge-job');
    const { body } = await read('', smallTraceId);
    expect(body.spans.find((s) => s.spanId === spanId(2))?.jobId).toBe(single.jobId);
  });
});
