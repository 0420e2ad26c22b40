import {
  emptyGenAiFields,
  type GenAiFields,
  genAiOf,
  type Span,
  type TraceBatch,
  traceBatch,
  withMeta,
} from '@llmp/otlp';
import { testRequest, testSpan } from '@llmp/otlp/testing';
import { describe, expect, it } from 'vitest';
import { spanPayloads } from './spanPayloads.ts';
import { spanRowBinary } from './spanRowBinary.ts';

let counter = 0;
/** A request of `n` spans with GenAI fields (a model each), as the genai processor leaves it. */
function request(n: number, service: string): TraceBatch {
  const spans = Array.from({ length: n }, () =>
    testSpan({ spanId: (++counter).toString(16).padStart(16, '0'), name: `span ${counter}` }),
  );
  const genAi = new Map<Span, GenAiFields>(
    spans.map((s, i) => [s, { ...emptyGenAiFields(), requestModel: `model-${i}` }]),
  );
  const batch = traceBatch({
    projectId: 'p',
    request: testRequest(spans, {
      resource: [{ key: 'service.name', value: { type: 'string', value: service } }],
    }),
  });
  return withMeta(batch, { genAi });
}

/** The batch processor's merge: the parts' ResourceSpans objects and GenAI fields, joined. */
function merged(parts: TraceBatch[]): TraceBatch {
  const genAi = new Map<Span, GenAiFields>();
  for (const part of parts) for (const [span, fields] of part.meta.genAi ?? []) genAi.set(span, fields);
  return withMeta(
    traceBatch({
      projectId: 'p',
      request: { resourceSpans: parts.flatMap((b) => b.request().resourceSpans) },
    }),
    { genAi },
  );
}

const whole = (batch: TraceBatch) =>
  spanRowBinary(batch.projectId, batch.request(), (span) => genAiOf(batch, span)).bytes;

describe('spanPayloads', () => {
  it('gives the payload of a merged batch byte for byte, with every, some or none of its parts prepared', () => {
    for (const prepared of [[0, 1, 2], [1], []]) {
      const payloads = spanPayloads();
      const parts = [request(3, 'a'), request(1, 'b'), request(5, 'c')];
      for (const i of prepared) payloads.prepare(parts[i]!);
      const batch = merged(parts);
      const payload = payloads.payload(batch);
      expect(payload.rows).toBe(9);
      expect(Buffer.from(payload.bytes).equals(whole(batch))).toBe(true);
    }
  });

  it('uses the rows written when the request was prepared', () => {
    const payloads = spanPayloads();
    const part = request(2, 'a');
    payloads.prepare(part);
    const span = part.request().resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
    const before = whole(part);
    span.name = 'renamed after prepare';
    expect(Buffer.from(payloads.payload(merged([part])).bytes).equals(before)).toBe(true);
    // Used once: a second INSERT of the same spans writes them again.
    expect(Buffer.from(payloads.payload(merged([part])).bytes).equals(whole(part))).toBe(true);
  });

  it('leaves a request that does not decode alone, without throwing', () => {
    const payloads = spanPayloads();
    const broken = traceBatch({ projectId: 'p', bytes: new Uint8Array([0x0a, 0xff, 0xff]), spanCount: 1 });
    expect(() => payloads.prepare(broken)).not.toThrow();
  });
});
