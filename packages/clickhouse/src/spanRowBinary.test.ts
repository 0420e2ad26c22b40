import type { AnyValue, KeyValue, Span, TraceRequest } from '@llmp/otlp';
import { emptyGenAiFields, type GenAiFields, spanTypes } from '@llmp/otlp';
import { arbitraryTraceRequest, testRequest, testSpan } from '@llmp/otlp/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { spanRowBinary, spanRowBinaryColumns } from './spanRowBinary.ts';
import { type SpanRow, spanRows } from './spanRows.ts';
import { clickhouseTime } from './storedSpan.ts';

/** Reads RowBinary values of the types spanRowBinaryColumns names, as spanRows spells them. */
function rowBinaryReader(bytes: Buffer) {
  let at = 0;
  const varUInt = () => {
    let n = 0;
    let shift = 1;
    for (;;) {
      const byte = bytes[at++]!;
      n += (byte & 0x7f) * shift;
      if (byte < 0x80) return n;
      shift *= 128;
    }
  };
  const inner = (type: string, prefix: string) => type.slice(prefix.length, -1);
  function value(type: string, column: string): unknown {
    if (type.startsWith('LowCardinality(')) return value(inner(type, 'LowCardinality('), column);
    if (type.startsWith('Array(')) {
      const n = varUInt();
      return Array.from({ length: n }, () => value(inner(type, 'Array('), column));
    }
    if (type.startsWith('Map(')) {
      const map: Record<string, string> = Object.create(null);
      const n = varUInt();
      for (let i = 0; i < n; i++) {
        const key = value('String', column) as string;
        map[key] = value('String', column) as string;
      }
      return map;
    }
    if (type.startsWith('Nullable('))
      return bytes[at++] === 1 ? null : value(inner(type, 'Nullable('), column);
    if (type.startsWith('DateTime64(')) {
      at += 8;
      return clickhouseTime(bytes.readBigInt64LE(at - 8));
    }
    switch (type) {
      case 'String': {
        const n = varUInt();
        at += n;
        return bytes.toString('utf8', at - n, at);
      }
      case 'UInt32':
        at += 4;
        return bytes.readUInt32LE(at - 4);
      case 'UInt64': {
        at += 8;
        const n = bytes.readBigUInt64LE(at - 8);
        return column === 'Duration' ? n.toString() : Number(n);
      }
      case 'Float64':
        at += 8;
        return bytes.readDoubleLE(at - 8);
    }
    throw new Error(`no reader for ${type}`);
  }
  return {
    rows(): SpanRow[] {
      const rows: SpanRow[] = [];
      while (at < bytes.length) {
        const row: SpanRow = {};
        for (const [name, type] of spanRowBinaryColumns) row[name] = value(type, name);
        rows.push(row);
      }
      return rows;
    },
  };
}

/** Texts that exercise the preview and the string encoding: whitespace runs, non-ASCII, long. */
const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({
    unit: fc.constantFrom(
      ' ',
      '  ',
      '\n',
      '\t',
      '\u00a0',
      '\u3000',
      '\ufeff',
      'word',
      'é',
      '☃',
      '😀',
      '\ud800',
    ),
    maxLength: 600,
  }),
);
// normaliseSpan's counts are whole and safe.
const count = fc.oneof(fc.nat(), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }));
const genAiFields: fc.Arbitrary<GenAiFields> = fc.record({
  spanType: fc.constantFrom(...spanTypes),
  operation: fc.constantFrom('', 'chat'),
  provider: fc.constantFrom('', 'openai'),
  requestModel: fc.string({ maxLength: 20 }),
  responseModel: fc.string({ maxLength: 20 }),
  inputTokens: count,
  outputTokens: count,
  cacheReadTokens: count,
  cacheWriteTokens: count,
  reasoningTokens: count,
  inputText: text,
  outputText: text,
  sessionId: fc.string({ maxLength: 12 }),
  userId: fc.string({ maxLength: 12 }),
  costUsd: fc.option(fc.double({ noNaN: true }), { nil: null }),
  costSource: fc.constantFrom('', 'provided', 'price'),
  priceId: fc.string({ maxLength: 12 }),
});

/** A value with every string as it reads back from UTF-8 (a lone surrogate becomes U+FFFD). */
function asUtf8(value: unknown): unknown {
  if (typeof value === 'string') return Buffer.from(value).toString();
  if (Array.isArray(value)) return value.map(asUtf8);
  if (value === null || typeof value !== 'object') return value;
  const out = Object.create(Object.getPrototypeOf(value));
  for (const [key, v] of Object.entries(value)) out[asUtf8(key) as string] = asUtf8(v);
  return out;
}

/** The request's rows decoded from spanRowBinary's payload, and as spanRows makes them. */
function bothWays(request: TraceRequest, genAi: (span: Span) => GenAiFields | undefined) {
  const payload = spanRowBinary('p1', request, genAi, 16);
  const decoded = rowBinaryReader(payload.bytes).rows();
  expect(payload.rows).toBe(decoded.length);
  return { decoded, rows: asUtf8(spanRows('p1', request, genAi)) };
}

const str = (value: string): AnyValue => ({ type: 'string', value });
const kv = (key: string, value: AnyValue): KeyValue => ({ key, value });

describe('spanRowBinary', () => {
  it('stores the values spanRows makes, for any request and GenAI fields', () => {
    fc.assert(
      fc.property(
        arbitraryTraceRequest(),
        fc.array(fc.option(genAiFields, { nil: undefined }), { maxLength: 40 }),
        (request, fields) => {
          const spans = request.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));
          const genAi = new Map(spans.map((span, i) => [span, fields[i % Math.max(1, fields.length)]]));
          const { decoded, rows } = bothWays(request, (span) => genAi.get(span));
          expect(decoded).toEqual(rows);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps the last value of a repeated key, in resource, scope, span, event and link maps', () => {
    const repeated = [
      kv('a', str('1')),
      kv('b', { type: 'int', value: 2n }),
      kv('a', { type: 'bool', value: true }),
      kv('__proto__', str('x')),
      kv('b', str('3')),
    ];
    const many = Array.from({ length: 14 }, (_, i) => kv(`k${i % 13}`, { type: 'double', value: i }));
    const span = testSpan({
      attributes: [...repeated, kv('llmp.job.id', str('job-1'))],
      events: [{ timeUnixNano: 5n, name: 'e', attributes: many, droppedAttributesCount: 0 }],
      links: [
        {
          traceId: 'ab'.repeat(16),
          spanId: 'cd'.repeat(8),
          traceState: 't',
          attributes: repeated,
          droppedAttributesCount: 0,
          flags: 1,
        },
      ],
    });
    const request = testRequest([span], {
      resource: [kv('service.name', str('svc')), ...repeated],
      scope: many,
    });
    const fields = { ...emptyGenAiFields(), inputText: `user: ${'hello '.repeat(300)}`, outputText: 'ok' };
    const { decoded, rows } = bothWays(request, () => fields);
    expect(decoded).toEqual(rows);
    expect(decoded[0]!.SpanAttributes).toEqual(
      Object.assign(Object.create(null), { a: 'true', b: '3', ['__proto__']: 'x', 'llmp.job.id': 'job-1' }),
    );
    expect(decoded[0]!.job_id).toBe('job-1');
  });

  it('writes the same payload into a buffer an earlier, larger payload left its bytes in', () => {
    fc.assert(
      fc.property(arbitraryTraceRequest(), arbitraryTraceRequest(), genAiFields, (first, second, fields) => {
        const genAi = () => fields;
        const used = spanRowBinary('p1', first, genAi, 16).buffer;
        used.fill(0xa5, 0, used.length / 2);
        const fresh = spanRowBinary('p1', second, genAi, 16);
        const reused = spanRowBinary('p1', second, genAi, used);
        expect(reused.rows).toBe(fresh.rows);
        expect(Buffer.compare(reused.bytes, fresh.bytes)).toBe(0);
        // Written from the start of the given buffer while it had room.
        if (fresh.bytes.length <= used.length) expect(reused.buffer).toBe(used);
      }),
      { numRuns: 200 },
    );
  });
});
