import type { AnyValue, KeyValue } from '@llmp/otlp';
import { emptyGenAiFields, type GenAiFields } from './genAiFields.ts';
import { type NormalisationRule, normalisationRules, type RuleField } from './normalisationRules.ts';
import { plainValue, renderMessages } from './renderMessages.ts';

/** Fields read from a span before cost: everything but the cost columns, plus a sent cost. */
export type NormalisedSpan = Omit<GenAiFields, 'costUsd' | 'costSource' | 'priceId'> & {
  /** A cost the app sent, and the attribute it came in. */
  providedCost: { usd: number; key: string } | null;
};

type Value = string | number | { usd: number; key: string };

function scalarText(v: AnyValue | undefined): string {
  if (v === undefined) return '';
  if (v.type === 'string') return v.value.trim();
  if (v.type === 'int' || v.type === 'double' || v.type === 'bool') return String(v.value);
  return '';
}

function count(v: AnyValue | undefined): number | undefined {
  if (v?.type === 'int')
    return v.value >= 0n && v.value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v.value) : undefined;
  if (v?.type === 'double') return Number.isFinite(v.value) && v.value >= 0 ? Math.round(v.value) : undefined;
  if (v?.type === 'string' && /^\d{1,15}$/.test(v.value.trim())) return Number(v.value.trim());
  return undefined;
}

function usd(v: AnyValue | undefined): number | undefined {
  const n =
    v?.type === 'double'
      ? v.value
      : v?.type === 'int'
        ? Number(v.value)
        : v?.type === 'string' && v.value.trim() !== ''
          ? Number(v.value)
          : Number.NaN;
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** `prefix N suffix` attributes gathered into ordered messages. */
function indexedMessages(attributes: KeyValue[], prefix: string, role: string, content: string): string {
  const messages = new Map<number, { role: string; content: string }>();
  for (const { key, value } of attributes) {
    if (!key.startsWith(prefix)) continue;
    const rest = key.slice(prefix.length);
    const dot = rest.indexOf('.');
    const index = Number(rest.slice(0, dot));
    if (dot <= 0 || !Number.isSafeInteger(index)) continue;
    const suffix = rest.slice(dot);
    const message = messages.get(index) ?? { role: '', content: '' };
    if (suffix === role) message.role = scalarText(value);
    else if (suffix === content)
      message.content = value.type === 'string' ? value.value : renderMessages(plainValue(value));
    else continue;
    messages.set(index, message);
  }
  return [...messages.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, m]) => (m.role ? `${m.role}: ${m.content}` : m.content))
    .join('\n');
}

function readRule(
  rule: NormalisationRule,
  lookup: Map<string, AnyValue>,
  attributes: KeyValue[],
): Value | undefined {
  switch (rule.read) {
    case 'text': {
      let text = scalarText(lookup.get(rule.key));
      if (rule.field === 'provider') text = text.toLowerCase();
      if (rule.firstSegment) text = text.split('.')[0] ?? '';
      return text === '' ? undefined : text;
    }
    case 'count':
      return count(lookup.get(rule.key));
    case 'usd': {
      const amount = usd(lookup.get(rule.key));
      return amount === undefined ? undefined : { usd: amount, key: rule.key };
    }
    case 'kind':
      return rule.values[scalarText(lookup.get(rule.key)).toLowerCase()];
    case 'messages': {
      const v = lookup.get(rule.key);
      if (v === undefined || v.type === 'empty') return undefined;
      const text = renderMessages(plainValue(v));
      return text === '' ? undefined : text;
    }
    case 'indexedMessages': {
      const text = indexedMessages(attributes, rule.prefix, rule.role, rule.content);
      return text === '' ? undefined : text;
    }
  }
}

/**
 * The canonical GenAI fields of a span's attributes: for each field the first rule (in
 * `rules` order) that finds a value wins. Original attributes are not touched. Texts are cut to
 * `maxTextChars`.
 * @example normaliseSpan(span.attributes).requestModel // 'gpt-4o'
 */
export function normaliseSpan(
  attributes: KeyValue[],
  {
    rules = normalisationRules,
    maxTextChars = 65_536,
  }: { rules?: readonly NormalisationRule[]; maxTextChars?: number } = {},
): NormalisedSpan {
  // Last value wins for a repeated key, as in attributeColumns.
  const lookup = new Map<string, AnyValue>();
  for (const { key, value } of attributes) lookup.set(key, value);

  const found = new Map<RuleField, { value: Value; rule: NormalisationRule }>();
  for (const rule of rules) {
    if (found.has(rule.field)) continue;
    const value = readRule(rule, lookup, attributes);
    if (value !== undefined) found.set(rule.field, { value, rule });
  }
  const text = (field: RuleField) => {
    const v = found.get(field)?.value;
    return typeof v === 'string' ? v.slice(0, maxTextChars) : '';
  };
  const tokens = (field: RuleField) => {
    const v = found.get(field)?.value;
    return typeof v === 'number' ? v : 0;
  };
  const empty = emptyGenAiFields();
  const fields: NormalisedSpan = {
    spanType: (found.get('spanType')?.value as GenAiFields['spanType'] | undefined) ?? empty.spanType,
    operation: text('operation'),
    provider: text('provider'),
    requestModel: text('requestModel'),
    responseModel: text('responseModel'),
    inputTokens: tokens('inputTokens'),
    outputTokens: tokens('outputTokens'),
    cacheReadTokens: tokens('cacheReadTokens'),
    cacheWriteTokens: tokens('cacheWriteTokens'),
    reasoningTokens: tokens('reasoningTokens'),
    inputText: text('inputText'),
    outputText: text('outputText'),
    sessionId: text('sessionId'),
    userId: text('userId'),
    providedCost: (found.get('cost')?.value as NormalisedSpan['providedCost'] | undefined) ?? null,
  };
  // A span naming a model but no kind is a model call (e.g. a hand-instrumented client).
  if (!found.has('spanType') && (fields.requestModel || fields.responseModel)) fields.spanType = 'llm';
  const apart = found.get('inputTokens')?.rule.cacheApartFor;
  if (apart?.test(fields.provider)) fields.inputTokens += fields.cacheReadTokens + fields.cacheWriteTokens;
  return fields;
}
