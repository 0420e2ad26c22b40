import { type AnyValue, emptyGenAiFields, type KeyValue } from '@llmp/otlp';
import { describe, expect, it } from 'vitest';
import { type NormalisedSpan, normaliseSpan } from './normaliseSpan.ts';
import { type ModelPrice, modelPrice, priceFor, repositoryPrices } from './priceTable.ts';
import { spanCost } from './spanCost.ts';

const { costUsd: _c, costSource: _s, priceId: _p, ...empty } = emptyGenAiFields();
const fields = (o: Partial<NormalisedSpan>): NormalisedSpan => ({ ...empty, providedCost: null, ...o });
const at = (day: string) => BigInt(Date.parse(`${day}T12:00:00Z`)) * 1_000_000n;
const prices = repositoryPrices();

describe('repository price table', () => {
  it('is valid, with unique ids', () => {
    expect(prices.length).toBeGreaterThan(5);
    expect(new Set(prices.map((p) => p.id)).size).toBe(prices.length);
  });
});

describe('priceFor', () => {
  const find = (model: string, provider: string, day: string, overrides: ModelPrice[] = []) =>
    priceFor({ prices, overrides, model, provider, day })?.id;

  it('applies the price in effect on the day, across a price change', () => {
    expect(find('gpt-4o', 'openai', '2024-09-30')).toBe('openai/gpt-4o@2024-05-13');
    expect(find('gpt-4o', 'openai', '2024-10-01')).toBe('openai/gpt-4o@2024-10-01');
    expect(find('gpt-4o', 'openai', '2024-05-12')).toBeUndefined();
  });

  it('prefers the most specific model pattern', () => {
    expect(find('gpt-4o-mini-2024-07-18', 'openai', '2025-01-01')).toBe('openai/gpt-4o-mini@2024-07-18');
    expect(find('gpt-4o-2024-08-06', 'openai', '2025-01-01')).toBe('openai/gpt-4o@2024-10-01');
    // A snapshot that kept its launch price after the family's price drop.
    expect(find('gpt-4o-2024-05-13', 'openai', '2025-01-01')).toBe('openai/gpt-4o-2024-05-13@2024-05-13');
    expect(find('gpt-5-mini-2025-08-07', 'openai', '2025-09-01')).toBe('openai/gpt-5-mini@2025-08-07');
    expect(find('o3-mini', 'openai', '2025-09-01')).toBe('openai/o3-mini@2025-01-31');
    expect(find('o3-2025-04-16', 'openai', '2025-09-01')).toBe('openai/o3@2025-06-10');
  });

  it("never prices a later model generation at an older one's rate", () => {
    expect(find('claude-opus-4-20250514', 'anthropic', '2025-09-01')).toBe(
      'anthropic/claude-opus-4@2025-05-22',
    );
    expect(find('claude-opus-4-1-20250805', 'anthropic', '2025-09-01')).toBe(
      'anthropic/claude-opus-4-1@2025-08-05',
    );
    expect(find('claude-opus-4-5-20251101', 'anthropic', '2025-12-01')).toBe(
      'anthropic/claude-opus-4-5@2025-11-24',
    );
    expect(find('gemini-2.5-flash-lite', 'gcp.gemini', '2025-09-01')).toBe(
      'gcp.gemini/gemini-2.5-flash-lite@2025-07-22',
    );
    expect(find('gpt-4.1-nano', 'openai', '2025-09-01')).toBe('openai/gpt-4.1-nano@2025-04-14');
  });

  it('does not price a model of another provider, but accepts an unknown provider', () => {
    expect(find('gpt-4o', 'azure.ai.openai', '2025-01-01')).toBeUndefined();
    expect(find('gpt-4o', '', '2025-01-01')).toBe('openai/gpt-4o@2024-10-01');
    expect(find('', 'openai', '2025-01-01')).toBeUndefined();
  });

  it('lets a matching override win over the repository table', () => {
    const override = modelPrice.parse({
      id: 'contract/gpt-4o',
      provider: 'openai',
      model: 'gpt-4o',
      effectiveFrom: '2024-01-01',
      input: 1,
      output: 2,
    });
    expect(find('gpt-4o', 'openai', '2025-01-01', [override])).toBe('contract/gpt-4o');
    expect(find('gpt-4o-mini', 'openai', '2025-01-01', [override])).toBe('openai/gpt-4o-mini@2024-07-18');
  });

  it('refuses malformed entries', () => {
    const base = { id: 'x', model: 'm', effectiveFrom: '2025-01-01', input: 1, output: 1 };
    expect(modelPrice.safeParse(base).success).toBe(true);
    expect(modelPrice.safeParse({ ...base, model: 'a*b' }).success).toBe(false);
    expect(modelPrice.safeParse({ ...base, effectiveFrom: '2025-13-01' }).success).toBe(false);
    expect(modelPrice.safeParse({ ...base, input: -1 }).success).toBe(false);
  });
});

describe('spanCost', () => {
  it('takes a cost the app sent over the price table', () => {
    const span = fields({
      requestModel: 'gpt-4o',
      provider: 'openai',
      inputTokens: 1000,
      providedCost: { usd: 0.5, key: 'llm.cost.total' },
    });
    expect(spanCost(span, at('2025-01-01'), { prices })).toEqual({
      costUsd: 0.5,
      costSource: 'provided',
      priceId: 'llm.cost.total',
    });
  });

  it('prices tokens with the price of the day, across an effective-date change', () => {
    const span = fields({
      requestModel: 'gpt-4o',
      provider: 'openai',
      inputTokens: 1_000_000,
      outputTokens: 100_000,
    });
    const before = spanCost(span, at('2024-09-30'), { prices });
    const after = spanCost(span, at('2024-10-01'), { prices });
    expect(before.priceId).toBe('openai/gpt-4o@2024-05-13');
    expect(before.costUsd).toBeCloseTo(5 + 1.5, 10);
    expect(after).toMatchObject({ costSource: 'price', priceId: 'openai/gpt-4o@2024-10-01' });
    expect(after.costUsd).toBeCloseTo(2.5 + 1, 10);
  });

  it('prices each span as a fresh lookup would, when one pricing object serves many days, models and providers', () => {
    const pricing = { prices };
    const days = ['2024-09-30', '2024-10-01', '2024-09-30', '2025-06-01', '1970-01-01'];
    const models = ['gpt-4o', 'gpt-4o-mini', 'claude-sonnet-4-20250514', 'unknown', ''];
    for (const day of days) {
      for (const model of models) {
        for (const provider of ['openai', 'anthropic', '']) {
          const span = fields({ requestModel: model, provider, inputTokens: 1_000, outputTokens: 10 });
          // A new object each time: priceFor's own answer, as nothing is remembered for it.
          expect(spanCost(span, at(day), pricing)).toEqual(spanCost(span, at(day), { prices }));
        }
      }
    }
  });

  it('prices cache reads and writes at their own rates, out of the input count', () => {
    const span = fields({
      responseModel: 'claude-sonnet-4-20250514',
      provider: 'anthropic',
      inputTokens: 1_000_000,
      cacheReadTokens: 600_000,
      cacheWriteTokens: 100_000,
      outputTokens: 10_000,
    });
    // 300k uncached × 3 + 600k × 0.30 + 100k × 3.75 + 10k × 15, per million.
    expect(spanCost(span, at('2025-06-01'), { prices }).costUsd).toBeCloseTo(0.9 + 0.18 + 0.375 + 0.15, 10);
  });

  it('falls back from the response model to the request model', () => {
    const span = fields({
      requestModel: 'gpt-4o-mini',
      responseModel: 'my-deployment',
      inputTokens: 1_000_000,
    });
    expect(spanCost(span, at('2025-01-01'), { prices })).toMatchObject({
      priceId: 'openai/gpt-4o-mini@2024-07-18',
      costUsd: 0.15,
    });
  });

  it('gives no cost without tokens or without a price', () => {
    const none = { costUsd: null, costSource: '', priceId: '' };
    expect(spanCost(fields({ requestModel: 'gpt-4o' }), at('2025-01-01'), { prices })).toEqual(none);
    expect(
      spanCost(fields({ requestModel: 'unknown', inputTokens: 5 }), at('2025-01-01'), { prices }),
    ).toEqual(none);
  });
});

describe('cost precedence (README, Conventions)', () => {
  const kv = (key: string, value: AnyValue): KeyValue => ({ key, value });
  const tokens = [
    kv('gen_ai.request.model', { type: 'string', value: 'gpt-4o-mini' }),
    kv('gen_ai.usage.input_tokens', { type: 'int', value: 1_000_000n }),
  ];
  const costOf = (attributes: KeyValue[]) =>
    spanCost(normaliseSpan(attributes), at('2025-01-01'), { prices });

  it('takes gen_ai.usage.cost.amount (USD, or no currency) over other cost names and the price table', () => {
    expect(
      costOf([
        ...tokens,
        kv('gen_ai.usage.cost', { type: 'double', value: 9 }),
        kv('llm.cost.total', { type: 'double', value: 8 }),
        kv('gen_ai.usage.cost.amount', { type: 'double', value: 0.02 }),
        kv('gen_ai.usage.cost.currency', { type: 'string', value: 'USD' }),
      ]),
    ).toEqual({ costUsd: 0.02, costSource: 'provided', priceId: 'gen_ai.usage.cost.amount' });
    expect(
      costOf([...tokens, kv('gen_ai.usage.cost.amount', { type: 'string', value: '0.03' })]),
    ).toMatchObject({
      costUsd: 0.03,
      costSource: 'provided',
    });
  });

  it('leaves a cost in another currency to the next cost name, else the price table', () => {
    const euros = [
      kv('gen_ai.usage.cost.amount', { type: 'double', value: 0.02 }),
      kv('gen_ai.usage.cost.currency', { type: 'string', value: 'EUR' }),
    ];
    expect(costOf([...tokens, ...euros])).toEqual({
      costUsd: 0.15,
      costSource: 'price',
      priceId: 'openai/gpt-4o-mini@2024-07-18',
    });
    expect(costOf([...tokens, ...euros, kv('llm.cost.total', { type: 'double', value: 0.5 })])).toMatchObject(
      {
        costUsd: 0.5,
        priceId: 'llm.cost.total',
      },
    );
  });
});
