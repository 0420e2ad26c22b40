import { type Span, type TraceBatch, traceBatch } from '@llmp/otlp';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { genAiProcessorConfig, genAiProcessorFactory } from './genAiProcessor.ts';
import { genAiOf } from './normalisedBatch.ts';

const settings = { id: 'genai', logger: pino({ level: 'silent' }) };

function span(spanId: string, attributes: Span['attributes']): Span {
  return {
    traceId: 'a'.repeat(32),
    spanId,
    traceState: '',
    parentSpanId: '',
    flags: 0,
    name: 'chat',
    kind: 3,
    startTimeUnixNano: 1_730_000_000_000_000_000n,
    endTimeUnixNano: 1_730_000_001_000_000_000n,
    attributes,
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: 0, message: '' },
  };
}

function batchOf(spans: Span[]): TraceBatch {
  return traceBatch({
    projectId: 'p1',
    request: {
      resourceSpans: [
        {
          resource: { attributes: [], droppedAttributesCount: 0 },
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
    },
  });
}

function sink() {
  const received: TraceBatch[] = [];
  return { received, consume: async (b: TraceBatch) => void received.push(b) };
}

describe('genai processor', () => {
  it('attaches canonical fields per span and leaves the OTLP data as it was', async () => {
    const next = sink();
    const processor = genAiProcessorFactory.create(settings, genAiProcessorConfig.parse({}), next);
    const llm = span('0000000000000001', [
      { key: 'gen_ai.request.model', value: { type: 'string', value: 'gpt-4o' } },
      { key: 'llm.cost.total', value: { type: 'double', value: 0.42 } },
    ]);
    const plain = span('0000000000000002', []);
    const batch = Object.assign(batchOf([llm, plain]), { dedupToken: 'otlp_spans-0-1-2' });
    const bytesBefore = batch.bytes();
    await processor.consume(batch);

    expect(next.received).toHaveLength(1);
    const out = next.received[0]!;
    expect(out.projectId).toBe('p1');
    expect(out.spanCount).toBe(2);
    expect((out as TraceBatch & { dedupToken?: string }).dedupToken).toBe('otlp_spans-0-1-2');
    expect(out.request().resourceSpans[0]!.scopeSpans[0]!.spans[0]!.attributes).toHaveLength(2);
    expect(out.bytes()).toEqual(bytesBefore);
    expect(genAiOf(out, llm)).toMatchObject({
      spanType: 'llm',
      requestModel: 'gpt-4o',
      costUsd: 0.42,
      costSource: 'provided',
      priceId: 'llm.cost.total',
    });
    expect(genAiOf(out, plain)).toMatchObject({
      spanType: 'other',
      costUsd: null,
      costSource: '',
      priceId: '',
    });
    // A batch that skipped the processor has no fields.
    expect(genAiOf(batch, llm)).toBeUndefined();
  });

  it('passes the next stage’s rejection back to the caller', async () => {
    const failure = new Error('store down');
    const processor = genAiProcessorFactory.create(settings, genAiProcessorConfig.parse({}), {
      consume: () => Promise.reject(failure),
    });
    await expect(processor.consume(batchOf([span('0000000000000001', [])]))).rejects.toBe(failure);
    await processor.shutdown();
    await processor.shutdown();
  });

  it('bounds the kept text by config', () => {
    expect(() => genAiProcessorConfig.parse({ maxTextChars: 0 })).toThrow();
    expect(genAiProcessorConfig.parse({}).maxTextChars).toBe(65_536);
  });
});
