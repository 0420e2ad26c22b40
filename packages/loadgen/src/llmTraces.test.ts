import { decodeProtobufRequest, rejectInvalidSpans } from '@llmp/otlp';
import { describe, expect, it } from 'vitest';
import { llmTrace, seededRandom } from './llmTraces.ts';
import { encodeRequests } from './runLoad.ts';

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
