import {
  decodeProtobufRequest,
  encodeProtobufRequest,
  nestSpans,
  type PlacedSpan,
  type Span,
  screenProtobufRequest,
  spansByTrace,
  type TraceRequest,
  traceBatch,
} from '@llmp/otlp';
import { arbitraryTraceRequest, stringAttr, testSpan } from '@llmp/otlp/testing';
import { createLogger, ExportError } from '@llmp/pipeline';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { kafkaExporter, kafkaExporterConfig, projectHeader } from './kafkaExporter.ts';
import { MemoryKafka } from './memoryKafka.ts';
import { OversizedSpanError, traceRecords } from './traceRecords.ts';

const span = (traceId: string, n: number, payload = ''): Span =>
  testSpan({
    traceId,
    spanId: (n + 1).toString(16).padStart(16, '0'),
    name: `span ${n}`,
    attributes: payload ? [stringAttr('payload', payload)] : [],
  });

const scope = (name: string) => ({ name, version: '1', attributes: [], droppedAttributesCount: 0 });
const resource = (service: string) => ({
  attributes: [stringAttr('service.name', service)],
  droppedAttributesCount: 0,
});

/** Two resources, three scopes, spans of three traces interleaved. */
const mixed: TraceRequest = {
  resourceSpans: [
    {
      resource: resource('a'),
      schemaUrl: 'https://schema/a',
      scopeSpans: [
        {
          scope: scope('s1'),
          schemaUrl: '',
          spans: [span('1'.repeat(32), 0), span('2'.repeat(32), 1), span('1'.repeat(32), 2)],
        },
        { scope: scope('s2'), schemaUrl: '', spans: [span('3'.repeat(32), 3)] },
      ],
    },
    {
      resource: resource('b'),
      schemaUrl: '',
      scopeSpans: [{ scope: scope('s3'), schemaUrl: '', spans: [span('1'.repeat(32), 4)] }],
    },
  ],
};

/** The spans of a request located on the wire, as the gateway receives them. */
const wireOf = (request: TraceRequest) => screenProtobufRequest(encodeProtobufRequest(request)).accepted;

const spansOf = (r: TraceRequest) => r.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));

describe('traceRecords', () => {
  it('makes one record per trace, keyed by trace id, keeping each span under its resource and scope', () => {
    const records = traceRecords(wireOf(mixed), 1_000_000);
    expect(records.map((r) => [r.key, r.spanCount])).toEqual([
      ['1'.repeat(32), 3],
      ['2'.repeat(32), 1],
      ['3'.repeat(32), 1],
    ]);
    const first = decodeProtobufRequest(records[0]!.value);
    expect(first.resourceSpans.map((rs) => rs.resource.attributes[0]!.value)).toEqual([
      { type: 'string', value: 'a' },
      { type: 'string', value: 'b' },
    ]);
    expect(first.resourceSpans[0]!.schemaUrl).toBe('https://schema/a');
    expect(first.resourceSpans[0]!.scopeSpans.map((ss) => ss.scope.name)).toEqual(['s1']);
    expect(spansOf(first).map((s) => s.name)).toEqual(['span 0', 'span 2', 'span 4']);
    expect(spansOf(decodeProtobufRequest(records[2]!.value))[0]!.name).toBe('span 3');
  });

  it('splits a trace too big for one record into several, losing no span', () => {
    const traceId = 'a'.repeat(32);
    const big: TraceRequest = {
      resourceSpans: [
        {
          resource: resource('big'),
          schemaUrl: '',
          scopeSpans: [
            {
              scope: scope('s'),
              schemaUrl: '',
              spans: Array.from({ length: 40 }, (_, i) => span(traceId, i, 'x'.repeat(1000))),
            },
          ],
        },
      ],
    };
    const records = traceRecords(wireOf(big), 8_000);
    expect(records.length).toBeGreaterThan(4);
    for (const r of records) {
      expect(r.key).toBe(traceId);
      expect(r.value.byteLength).toBeLessThanOrEqual(8_000);
    }
    const names = records.flatMap((r) => spansOf(decodeProtobufRequest(r.value)).map((s) => s.name));
    expect(names).toEqual(Array.from({ length: 40 }, (_, i) => `span ${i}`));
  });

  it('refuses a single span that cannot fit any record', () => {
    const request: TraceRequest = {
      resourceSpans: [
        {
          resource: resource('x'),
          schemaUrl: '',
          scopeSpans: [
            { scope: scope('s'), schemaUrl: '', spans: [span('b'.repeat(32), 0, 'y'.repeat(5000))] },
          ],
        },
      ],
    };
    expect(() => traceRecords(wireOf(request), 1000)).toThrow(OversizedSpanError);
  });
});

/** The records the gateway made before the wire fast path: decode, group, re-encode, halve. */
function decodedRecords(request: TraceRequest, maxBytes: number) {
  const out: Array<{ key: string; value: Uint8Array; spanCount: number }> = [];
  const bounded = (traceId: string, spans: PlacedSpan[]): void => {
    const value = encodeProtobufRequest(nestSpans(spans));
    if (value.byteLength <= maxBytes) out.push({ key: traceId, value, spanCount: spans.length });
    else if (spans.length === 1)
      throw new OversizedSpanError(traceId, spans[0]!.span.spanId, value.byteLength);
    else {
      const middle = Math.ceil(spans.length / 2);
      bounded(traceId, spans.slice(0, middle));
      bounded(traceId, spans.slice(middle));
    }
  };
  for (const [traceId, spans] of spansByTrace(request)) bounded(traceId, spans);
  return out;
}

const outcome = (make: () => Array<{ key: string; value: Uint8Array; spanCount: number }>) => {
  try {
    return make().map((r) => ({
      key: r.key,
      spanCount: r.spanCount,
      request: decodeProtobufRequest(r.value),
    }));
  } catch (error) {
    if (!(error instanceof OversizedSpanError)) throw error;
    return { traceId: error.traceId, spanId: error.spanId, size: error.size };
  }
};

describe('traceRecords from the wire', () => {
  it('decode to the records decoding and re-encoding made, splits and oversized spans included', () => {
    fc.assert(
      fc.property(arbitraryTraceRequest(), fc.integer({ min: 150, max: 6000 }), (request, maxBytes) => {
        const bytes = encodeProtobufRequest(request);
        const fast = outcome(() => traceRecords(screenProtobufRequest(bytes).accepted, maxBytes));
        expect(fast).toEqual(outcome(() => decodedRecords(decodeProtobufRequest(bytes), maxBytes)));
      }),
      { numRuns: 400, seed: 20261123 },
    );
  });
});

describe('kafka exporter', () => {
  const settings = { id: 'kafka', logger: createLogger({ level: 'silent' }) };

  it('writes one record per trace with the project header', async () => {
    const kafka = new MemoryKafka(3);
    const exporter = kafkaExporter(kafka.producer(), settings, kafkaExporterConfig.parse({}));
    await exporter.consume(traceBatch({ projectId: 'team-a', request: mixed }));
    const records = kafka.records('otlp_spans');
    expect(records.map((r) => r.key).sort()).toEqual(['1'.repeat(32), '2'.repeat(32), '3'.repeat(32)]);
    expect(records.every((r) => r.headers[projectHeader] === 'team-a')).toBe(true);
  });

  it('answers retryable when Kafka fails or does not acknowledge in time, permanent for an oversized span', async () => {
    const failing = kafkaExporter(
      new MemoryKafka().producer({ failWith: () => new Error('connection refused') }),
      settings,
      kafkaExporterConfig.parse({}),
    );
    await expect(failing.consume(traceBatch({ projectId: 'p', request: mixed }))).rejects.toMatchObject({
      kind: 'retryable',
      reason: 'unavailable',
    });

    const hanging = kafkaExporter(
      {
        send: () => new Promise(() => undefined),
        close: async () => undefined,
      },
      settings,
      kafkaExporterConfig.parse({ sendTimeout: 50 }),
    );
    const started = Date.now();
    const error = await hanging
      .consume(traceBatch({ projectId: 'p', request: mixed }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExportError);
    expect((error as ExportError).kind).toBe('retryable');
    expect(Date.now() - started).toBeLessThan(2000);

    const small = kafkaExporter(
      new MemoryKafka().producer(),
      settings,
      kafkaExporterConfig.parse({ maxRecordBytes: 100 }),
    );
    const request: TraceRequest = {
      resourceSpans: [
        {
          resource: resource('x'),
          schemaUrl: '',
          scopeSpans: [
            { scope: scope('s'), schemaUrl: '', spans: [span('c'.repeat(32), 0, 'z'.repeat(500))] },
          ],
        },
      ],
    };
    await expect(small.consume(traceBatch({ projectId: 'p', request }))).rejects.toMatchObject({
      kind: 'permanent',
    });
  });

  it('refuses new data with a retryable error while too many bytes await acknowledgement', async () => {
    const pending: Array<() => void> = [];
    const exporter = kafkaExporter(
      {
        send: () => new Promise<void>((resolve) => pending.push(resolve)),
        close: async () => undefined,
      },
      settings,
      kafkaExporterConfig.parse({ maxInFlightBytes: 10 }),
    );
    const first = exporter.consume(traceBatch({ projectId: 'p', request: mixed }));
    await expect(exporter.consume(traceBatch({ projectId: 'p', request: mixed }))).rejects.toMatchObject({
      kind: 'retryable',
      reason: 'exhausted',
    });
    pending[0]!();
    await first;
  });
});
