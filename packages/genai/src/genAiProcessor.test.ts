import { genAiOf, type Span, type TraceBatch, traceBatch, withMeta } from '@llmp/otlp';
import { testRequest, testSpan } from '@llmp/otlp/testing';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { genAiProcessorConfig, genAiProcessorFactory } from './genAiProcessor.ts';

const settings = { id: 'genai', logger: pino({ level: 'silent' }) };

const span = (spanId: string, attributes: Span['attributes']): Span =>
  testSpan({
    traceId: 'a'.repeat(32),
    spanId,
    name: 'chat',
    kind: 3,
    startTimeUnixNano: 1_730_000_000_000_000_000n,
    endTimeUnixNano: 1_730_000_001_000_000_000n,
    attributes,
  });

const batchOf = (spans: Span[]): TraceBatch => traceBatch({ projectId: 'p1', request: testRequest(spans) });

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
    const batch = withMeta(batchOf([llm, plain]), { dedupToken: 'otlp_spans-0-1-2' });
    const bytesBefore = batch.bytes();
    await processor.consume(batch);

    expect(next.received).toHaveLength(1);
    const out = next.received[0]!;
    expect(out.projectId).toBe('p1');
    expect(out.spanCount).toBe(2);
    expect(out.meta.dedupToken).toBe('otlp_spans-0-1-2');
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

  it('prices spans from the table unless the app sent a cost, with config prices first', async () => {
    const model = (m: string) => [
      { key: 'gen_ai.request.model', value: { type: 'string' as const, value: m } },
      { key: 'gen_ai.provider.name', value: { type: 'string' as const, value: 'openai' } },
      { key: 'gen_ai.usage.input_tokens', value: { type: 'int' as const, value: 2_000_000n } },
    ];
    const fromTable = span('0000000000000001', model('gpt-4o'));
    const fromConfig = span('0000000000000002', model('ft:gpt-4o:acme'));
    const next = sink();
    const config = genAiProcessorConfig.parse({
      prices: [
        {
          id: 'acme/ft',
          provider: 'openai',
          model: 'ft:*',
          effectiveFrom: '2024-01-01',
          input: 10,
          output: 20,
        },
      ],
    });
    await genAiProcessorFactory.create(settings, config, next).consume(batchOf([fromTable, fromConfig]));
    const out = next.received[0]!;
    // The spans start on 2024-10-27, after gpt-4o's October 2024 price change: 2.5 USD per 1M input.
    expect(genAiOf(out, fromTable)).toMatchObject({
      costUsd: 5,
      costSource: 'price',
      priceId: 'openai/gpt-4o@2024-10-01',
    });
    expect(genAiOf(out, fromConfig)).toMatchObject({ costUsd: 20, costSource: 'price', priceId: 'acme/ft' });
  });

  it('bounds the kept text by config', () => {
    expect(() => genAiProcessorConfig.parse({ maxTextChars: 0 })).toThrow();
    expect(genAiProcessorConfig.parse({}).maxTextChars).toBe(65_536);
  });
});
