import type { AnyValue, KeyValue } from '@llmp/otlp';
import { emptyGenAiFields, type GenAiFields, plainValue, renderMessages, toolCallText } from '@llmp/otlp';
import { type NormalisationRule, normalisationRules, type RuleField } from './normalisationRules.ts';

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

type IndexedRule = Extract<NormalisationRule, { read: 'indexedMessages' }>;

interface IndexedMessage {
  role: string;
  content: string;
  /** Tool calls by index: name and arguments. */
  calls: Map<number, { name: string; arguments: string }> | undefined;
}

/** `prefix N suffix` attributes gathered into ordered messages, with their tool calls. */
function indexedMessages(attributes: KeyValue[], rule: IndexedRule): string {
  const { prefix, role, content, toolCalls } = rule;
  if (!attributes.some(({ key }) => key.startsWith(prefix))) return '';
  const messages = new Map<number, IndexedMessage>();
  for (const { key, value } of attributes) {
    if (!key.startsWith(prefix)) continue;
    const rest = key.slice(prefix.length);
    const dot = rest.indexOf('.');
    const index = Number(rest.slice(0, dot));
    if (dot <= 0 || !Number.isSafeInteger(index)) continue;
    const suffix = rest.slice(dot);
    const message = messages.get(index) ?? { role: '', content: '', calls: undefined };
    if (suffix === role) message.role = scalarText(value);
    else if (suffix === content)
      message.content = value.type === 'string' ? value.value : renderMessages(plainValue(value));
    else if (toolCalls && suffix.startsWith(toolCalls.prefix)) {
      const callRest = suffix.slice(toolCalls.prefix.length);
      const callDot = callRest.indexOf('.');
      const callIndex = Number(callRest.slice(0, callDot));
      if (callDot <= 0 || !Number.isSafeInteger(callIndex)) continue;
      const part = callRest.slice(callDot);
      if (part !== toolCalls.name && part !== toolCalls.arguments) continue;
      message.calls ??= new Map();
      const call = message.calls.get(callIndex) ?? { name: '', arguments: '' };
      if (part === toolCalls.name) call.name = scalarText(value);
      else call.arguments = value.type === 'string' ? value.value : JSON.stringify(plainValue(value));
      message.calls.set(callIndex, call);
    } else continue;
    messages.set(index, message);
  }
  return [...messages.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, m]) => {
      // A tool-call-only answer has no content: its calls are what it said.
      const calls = [...(m.calls?.entries() ?? [])]
        .sort(([a], [b]) => a - b)
        .map(([, c]) => toolCallText(c.name, c.arguments));
      const text = [m.content, ...calls].filter((t) => t !== '').join('\n');
      return m.role ? `${m.role}: ${text}` : text;
    })
    .join('\n');
}

function readRule(
  rule: NormalisationRule,
  value: AnyValue | undefined,
  attributes: KeyValue[],
): Value | undefined {
  switch (rule.read) {
    case 'text': {
      let text = scalarText(value);
      if (rule.field === 'provider') text = text.toLowerCase();
      if (rule.firstSegment) text = text.split('.')[0] ?? '';
      return text === '' ? undefined : text;
    }
    case 'count':
      return count(value);
    case 'usd': {
      if (rule.currencyKey !== undefined) {
        let currency = '';
        for (const kv of attributes) if (kv.key === rule.currencyKey) currency = scalarText(kv.value);
        if (currency !== '' && currency.toUpperCase() !== 'USD') return undefined;
      }
      const amount = usd(value);
      return amount === undefined ? undefined : { usd: amount, key: rule.key };
    }
    case 'kind': {
      // Own keys only: a kind such as "constructor" is not a span type.
      const kind = scalarText(value).toLowerCase();
      return Object.hasOwn(rule.values, kind) ? rule.values[kind] : undefined;
    }
    case 'messages': {
      if (value === undefined || value.type === 'empty') return undefined;
      const text = renderMessages(plainValue(value));
      return text === '' ? undefined : text;
    }
    case 'indexedMessages': {
      const text = indexedMessages(attributes, rule);
      return text === '' ? undefined : text;
    }
    case 'value': {
      if (value === undefined || value.type === 'empty') return undefined;
      const text = value.type === 'string' ? value.value : JSON.stringify(plainValue(value));
      return text.trim() === '' ? undefined : text;
    }
    case 'jsonField': {
      let object: unknown;
      if (value?.type === 'kvlist') object = plainValue(value);
      else if (value?.type === 'string' && value.value.trimStart().startsWith('{')) {
        try {
          object = JSON.parse(value.value);
        } catch {
          return undefined;
        }
      }
      const field =
        object !== null && typeof object === 'object' && Object.hasOwn(object, rule.path)
          ? (object as Record<string, unknown>)[rule.path]
          : undefined;
      return typeof field === 'string' && field.trim() !== '' ? field.trim() : undefined;
    }
  }
}

/** Rules arranged for one pass over a span's attributes. */
interface RulePlan {
  /** For each attribute key some rule reads, the positions of those rules. */
  byKey: Map<string, number[]>;
  /** Positions of the indexedMessages rules (they read every attribute). */
  indexed: number[];
  /** The key prefixes of the indexedMessages rules. */
  prefixes: string[];
  /** Each field with the positions of its rules, in rule order. */
  fields: Array<[RuleField, number[]]>;
  /** Each rule's value for the span being read: reused from span to span, emptied after each. */
  values: Array<AnyValue | undefined>;
}

const plans = new WeakMap<readonly NormalisationRule[], RulePlan>();

function planOf(rules: readonly NormalisationRule[]): RulePlan {
  let plan = plans.get(rules);
  if (plan) return plan;
  plan = {
    byKey: new Map(),
    indexed: [],
    prefixes: [],
    fields: [],
    values: new Array(rules.length).fill(undefined),
  };
  const byField = new Map<RuleField, number[]>();
  rules.forEach((rule, i) => {
    if (rule.read === 'indexedMessages') {
      plan!.indexed.push(i);
      plan!.prefixes.push(rule.prefix);
    } else plan!.byKey.set(rule.key, [...(plan!.byKey.get(rule.key) ?? []), i]);
    byField.set(rule.field, [...(byField.get(rule.field) ?? []), i]);
  });
  plan.fields = [...byField];
  plans.set(rules, plan);
  return plan;
}

const defaultSpanType = emptyGenAiFields().spanType;

/** Puts the value a rule found into its field: texts cut to `maxTextChars`, counts as numbers. */
function putField(fields: NormalisedSpan, field: RuleField, value: Value, maxTextChars: number): void {
  switch (field) {
    case 'spanType':
      fields.spanType = value as GenAiFields['spanType'];
      return;
    case 'cost':
      fields.providedCost = value as NormalisedSpan['providedCost'];
      return;
    case 'inputTokens':
    case 'outputTokens':
    case 'cacheReadTokens':
    case 'cacheWriteTokens':
    case 'reasoningTokens':
      fields[field] = typeof value === 'number' ? value : 0;
      return;
    default:
      fields[field] = typeof value === 'string' ? value.slice(0, maxTextChars) : '';
  }
}

/**
 * Whether any rule reads one of these attributes: a key some rule names, or one starting with
 * an indexed-messages prefix. When none does, normaliseSpan gives what it gives for no
 * attributes at all, and a caller may reuse that result (most spans of a non-LLM service).
 * @example if (!readsGenAi(span.attributes)) fields = plainFields;
 */
export function readsGenAi(
  attributes: KeyValue[],
  rules: readonly NormalisationRule[] = normalisationRules,
): boolean {
  const plan = planOf(rules);
  for (let a = 0; a < attributes.length; a++) {
    const key = attributes[a]!.key;
    if (plan.byKey.has(key)) return true;
    for (let p = 0; p < plan.prefixes.length; p++) if (key.startsWith(plan.prefixes[p]!)) return true;
  }
  return false;
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
  // One pass over the attributes puts each rule's value at its position (the last value wins
  // for a repeated key, as in attributeColumns); a rule whose key is absent finds nothing, so
  // only the rules of present keys are read, each field taking its first rule that finds a value.
  const plan = planOf(rules);
  const values = plan.values;
  // Built whole at once, then each field a rule found is put in: no per-span map of found
  // values, closures or empty fields object (normaliseSpan was the ingester's first allocation
  // site, ~2 KB a GenAI span; issue 21).
  const fields: NormalisedSpan = {
    spanType: defaultSpanType,
    operation: '',
    provider: '',
    requestModel: '',
    responseModel: '',
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
    inputText: '',
    outputText: '',
    sessionId: '',
    userId: '',
    providedCost: null,
  };
  let spanTypeFound = false;
  let inputTokensRule: NormalisationRule | undefined;
  try {
    let present = false;
    // Indexed loops: iterators and destructuring showed in the profile of this hot path.
    for (let a = 0; a < attributes.length; a++) {
      const { key, value } = attributes[a]!;
      const positions = plan.byKey.get(key);
      if (positions === undefined) continue;
      for (let p = 0; p < positions.length; p++) values[positions[p]!] = value;
      present = true;
    }
    if (present || plan.indexed.length > 0) {
      for (let f = 0; f < plan.fields.length; f++) {
        const [field, positions] = plan.fields[f]!;
        for (let p = 0; p < positions.length; p++) {
          const i = positions[p]!;
          const rule = rules[i]!;
          if (rule.read !== 'indexedMessages' && values[i] === undefined) continue;
          const value = readRule(rule, values[i], attributes);
          if (value === undefined) continue;
          putField(fields, field, value, maxTextChars);
          if (field === 'spanType') spanTypeFound = true;
          else if (field === 'inputTokens') inputTokensRule = rule;
          break;
        }
      }
    }
  } finally {
    values.fill(undefined);
  }
  // A span naming a model but no kind is a model call (e.g. a hand-instrumented client).
  if (!spanTypeFound && (fields.requestModel || fields.responseModel)) fields.spanType = 'llm';
  const apart = inputTokensRule?.cacheApartFor;
  if (apart?.test(fields.provider)) fields.inputTokens += fields.cacheReadTokens + fields.cacheWriteTokens;
  return fields;
}
