import { decodeJsonRequest, decodeProtobufRequest, rejectInvalidSpans, type TraceRequest } from '@llmp/otlp';
import { describe, expect, it } from 'vitest';
import { llmTrace, seededRandom } from './llmTraces.ts';
import { encodeRequests, withFreshTraceIds } from './runLoad.ts';

describe('llmTrace', () => {
  it('is reproducible from its seed and forms one tree rooted at the agent span', () => {
    const startNs = 1_700_000_000_000_000_000n;
    const a = llmTrace(seededRandom(7), { startNs, service: 's' });
    const b = llmTrace(seededRandom(7), { startNs, service: 's' });
    expect(a.map((s) => s.spanContext().spanId)).toEqual(b.map((s) => s.spanContext().spanId));
    const ids = new Set(a.map((s) => s.spanContext().spanId));
    const roots = a.filter((s) => !s.parentSpanContext);
    expect(roots).toHaveLength(1);
    expect(roots[0]!.name).toBe('invoke_agent support-bot');
    for (const span of a) {
      if (span.parentSpanContext) expect(ids.has(span.parentSpanContext.spanId)).toBe(true);
      expect(new Set(a.map((s) => s.spanContext().traceId)).size).toBe(1);
    }
    expect(a.some((s) => s.attributes['gen_ai.request.model'])).toBe(true);
  });

  it('encodes to valid OTLP requests with every span accepted', () => {
    const [first] = encodeRequests('grpc', { count: 1, tracesPerRequest: 3, seed: 3, jobId: 'job-x' });
    const request = decodeProtobufRequest(first!.body);
    const screening = rejectInvalidSpans(request);
    expect(screening.rejectedSpans).toBe(0);
    expect(screening.acceptedSpans).toBe(first!.spans);
    const spans = request.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));
    expect(spans.every((s) => s.attributes.some((kv) => kv.key === 'llmp.job.id'))).toBe(true);
  });
});

describe('withFreshTraceIds', () => {
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
  /** Per span: trace id, span id, parent, name — in request order. */
  const spansOf = (request: TraceRequest) =>
    request.resourceSpans.flatMap((rs) =>
      rs.scopeSpans.flatMap((ss) =>
        ss.spans.map((s) => ({
          trace: s.traceId,
          span: s.spanId,
          parent: s.parentSpanId,
          name: s.name,
        })),
      ),
    );

  for (const protocol of ['grpc', 'http/json'] as const) {
    it(`gives every send of a pooled ${protocol} request new trace ids and changes nothing else`, () => {
      const [pooled] = encodeRequests(protocol, { count: 1, tracesPerRequest: 4, seed: 5 });
      const decode = (body: Uint8Array) =>
        protocol === 'grpc'
          ? decodeProtobufRequest(body)
          : decodeJsonRequest(Buffer.from(body).toString('utf8'));
      const before = hex(pooled!.body);
      const original = spansOf(decode(pooled!.body));
      const sends = [64, 65, 128].map((n) => spansOf(decode(withFreshTraceIds(pooled!, n, protocol))));
      const traceSets = [original, ...sends].map((spans) => new Set(spans.map((s) => s.trace)));
      for (const set of traceSets) expect(set.size).toBe(4);
      // No trace id is shared between the original and any send, nor between two sends.
      expect(new Set(traceSets.flatMap((set) => [...set])).size).toBe(4 * traceSets.length);
      for (const spans of sends) {
        expect(spans.map(({ trace: _, ...rest }) => rest)).toEqual(
          original.map(({ trace: _, ...rest }) => rest),
        );
        // Spans of one trace stay together under one new id.
        const mapping = new Map<string, string>();
        spans.forEach((s, i) => {
          const before = original[i]!.trace;
          expect(mapping.get(before) ?? s.trace).toBe(s.trace);
          mapping.set(before, s.trace);
        });
      }
      // The pooled request itself is left as it was.
      expect(hex(pooled!.body)).toBe(before);
    });
  }
});
