import { type ClickHouseStore, migrate, readStoredSpans, readTraceSpans } from '@llmp/clickhouse';
import { decodeJsonRequest, type KeyValue, type Span, type TraceRequest, traceBatch } from '@llmp/otlp';
import { arbitraryTraceRequest, stringAttr, testSpan } from '@llmp/otlp/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conventionTraces } from '../fixtures/conventionTraces.ts';
import { conventionTraceJson } from '../support/conventionTrace.ts';
import { genAiIngest } from '../support/genAiIngest.ts';
import { tempDir } from '../support/tempDir.ts';
import { openTestStore } from '../support/testStore.ts';

// Issue 21, item 5: trace parts are read as RowBinary parsed straight into spans; the answer of
// GET /v1/traces/{id} must stay the same text as the JSON reader (readTraceSpans) gave.
const dir = tempDir('stored-span-rowbinary');
let store: ClickHouseStore;
const traceIds = new Set<string>();

const attr = (key: string, value: KeyValue['value']): KeyValue => ({ key, value });
const tricky = 'c0ffee'.padEnd(32, '7');
const t0 = 1_750_000_000_123_456_789n;
/** Values whose text or order a second reader could get wrong. */
const trickyAttributes: KeyValue[] = [
  stringAttr('quote " backslash \\ slash / tab \t newline \n nul \u0000 bell \u0007', 'x'),
  stringAttr('unicode', 'é ü 中文 🙂 \u2028 \u2029 \u007f'),
  stringAttr('__proto__', 'own key'),
  stringAttr('10', 'an integer-like key comes first in a JS object'),
  stringAttr('2', 'so does this one'),
  attr('int.big', { type: 'int', value: 2n ** 62n + 1n }),
  attr('int.small', { type: 'int', value: -42n }),
  attr('double.nan', { type: 'double', value: Number.NaN }),
  attr('double.inf', { type: 'double', value: Number.NEGATIVE_INFINITY }),
  attr('double', { type: 'double', value: 0.1 }),
  attr('bool', { type: 'bool', value: true }),
  attr('bytes', { type: 'bytes', value: new Uint8Array([0, 255, 7]) }),
  attr('empty', { type: 'empty' }),
  attr('array', { type: 'array', value: [stringAttr('a', 'x').value, { type: 'int', value: 3n }] }),
  attr('kvlist', {
    type: 'kvlist',
    value: [stringAttr('nested', 'v'), attr('n', { type: 'double', value: 1.5 })],
  }),
  stringAttr('dup', 'first'),
  stringAttr('dup', 'last'),
  stringAttr('gen_ai.request.model', 'gpt-4o'),
  attr('gen_ai.usage.input_tokens', { type: 'int', value: 9_007_199_254_740_993n }),
  attr('gen_ai.usage.cost', { type: 'double', value: 0.000_123 }),
  stringAttr('gen_ai.prompt', 'long '.repeat(100)),
];
const trickySpans: Span[] = [
  testSpan({
    traceId: tricky,
    spanId: '00000000000000a1',
    name: 'chat gpt-4o',
    startTimeUnixNano: t0,
    endTimeUnixNano: t0 + 1n,
    attributes: trickyAttributes,
    events: [
      { timeUnixNano: t0 + 5n, name: 'e1', attributes: trickyAttributes, droppedAttributesCount: 0 },
      { timeUnixNano: 0n, name: '', attributes: [], droppedAttributesCount: 1 },
    ],
    links: [
      {
        traceId: 'ab'.repeat(16),
        spanId: 'cd'.repeat(8),
        traceState: 'k=v',
        attributes: trickyAttributes.slice(0, 4),
        droppedAttributesCount: 0,
        flags: 2 ** 31,
      },
    ],
  }),
  // The same start: the span id orders them.
  testSpan({
    traceId: tricky,
    spanId: '00000000000000a0',
    startTimeUnixNano: t0,
    endTimeUnixNano: 2n ** 63n - 1n,
  }),
  testSpan({ traceId: tricky, spanId: '00000000000000a2', startTimeUnixNano: 0n, endTimeUnixNano: 0n }),
];
const trickyRequest: TraceRequest = {
  resourceSpans: [
    {
      resource: {
        attributes: [stringAttr('service.name', 'tricky'), ...trickyAttributes],
        droppedAttributesCount: 0,
      },
      schemaUrl: '',
      scopeSpans: [
        {
          scope: { name: 'scope ✓', version: '1.0', attributes: trickyAttributes, droppedAttributesCount: 0 },
          schemaUrl: '',
          spans: trickySpans,
        },
      ],
    },
  ],
};

const collectTraceIds = (request: TraceRequest) => {
  for (const rs of request.resourceSpans)
    for (const ss of rs.scopeSpans) for (const s of ss.spans) traceIds.add(s.traceId.toLowerCase());
};

beforeAll(async () => {
  store = await openTestStore(dir.path);
  await migrate(store);
  // The ingester's wiring (genai processor → exporter), so the GenAI columns are filled too.
  const ingest = genAiIngest(store);
  const requests = [
    trickyRequest,
    // A span sent twice (a sender's retry) is one span in either reader.
    {
      resourceSpans: [
        {
          ...trickyRequest.resourceSpans[0]!,
          scopeSpans: [{ ...trickyRequest.resourceSpans[0]!.scopeSpans[0]!, spans: trickySpans.slice(0, 1) }],
        },
      ],
    },
    ...conventionTraces.map((trace) => decodeJsonRequest(conventionTraceJson(trace))),
    ...fc.sample(arbitraryTraceRequest(), { numRuns: 60, seed: 21 }),
  ];
  for (const request of requests) {
    collectTraceIds(request);
    await ingest.consume(traceBatch({ projectId: 'p1', request }));
  }
}, 120_000);
afterAll(async () => {
  await store?.close();
  dir.remove();
});

describe('readStoredSpans (RowBinary) against readTraceSpans (JSON)', () => {
  it('reads every stored trace as the same JSON text, whole and as a part', async () => {
    let compared = 0;
    for (const traceId of traceIds) {
      const json = await readTraceSpans(store, 'p1', traceId);
      const whole = await readStoredSpans(store, 'p1', traceId);
      const part = await readStoredSpans(store, 'p1', traceId, { limit: 10_001 });
      expect(JSON.stringify(whole), traceId).toBe(JSON.stringify(json));
      expect(JSON.stringify(part), traceId).toBe(JSON.stringify(json));
      compared += json.length;
    }
    // The sample must have stored something to compare.
    expect(compared).toBeGreaterThan(100);
  });

  it('keeps the values a second reader could get wrong', async () => {
    const [late, first, second] = await readStoredSpans(store, 'p1', tricky, { limit: 10 });
    expect([late, first, second].map((s) => s?.spanId)).toEqual([
      '00000000000000a2',
      '00000000000000a0',
      '00000000000000a1',
    ]);
    expect(late!.startTime).toBe('1970-01-01T00:00:00.000000000Z');
    expect(first!.endTimeUnixNano).toBe(String(2n ** 63n - 1n));
    expect(first!.endTime).toBe('2262-04-11T23:47:16.854775807Z');
    const attributes = second!.attributes;
    expect(Object.hasOwn(attributes, '__proto__')).toBe(true);
    expect(Object.keys(attributes).slice(0, 2)).toEqual(['2', '10']);
    expect(attributes).toMatchObject({ 'int.big': String(2n ** 62n + 1n), 'int.small': -42, dup: 'last' });
    expect(second!.events[0]!.time).toBe('2025-06-15T15:06:40.123456794Z');
    expect(second!.links[0]!.flags).toBe(2 ** 31);
    expect(second!.genAi.requestModel).toBe('gpt-4o');
  });

  it('reads one span, and nothing of an unknown trace', async () => {
    const [one] = await readStoredSpans(store, 'p1', tricky, undefined, '00000000000000a1');
    expect(JSON.stringify(one)).toBe(
      JSON.stringify(
        (await readTraceSpans(store, 'p1', tricky)).find((s) => s.spanId === '00000000000000a1'),
      ),
    );
    expect(await readStoredSpans(store, 'p1', 'f'.repeat(32), { limit: 5 })).toEqual([]);
    expect(await readStoredSpans(store, 'p2', tricky)).toEqual([]);
  });
});
