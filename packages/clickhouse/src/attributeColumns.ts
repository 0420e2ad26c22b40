import type { AnyValue, KeyValue } from '@llmp/otlp';

/** Attributes as two ClickHouse maps: every value as text, and the OTLP type of non-string values. */
export interface AttributeColumns {
  values: Record<string, string>;
  types: Record<string, string>;
}

/** A JSON value for an attribute: int64 beyond 2^53 stays exact as a decimal string. */
export function anyValueJson(value: AnyValue): unknown {
  switch (value.type) {
    case 'string':
    case 'bool':
      return value.value;
    case 'double':
      // JSON has no NaN or Infinity: the proto3 JSON mapping writes them as these strings.
      return Number.isFinite(value.value) ? value.value : String(value.value);
    case 'int':
      return value.value >= BigInt(Number.MIN_SAFE_INTEGER) && value.value <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(value.value)
        : value.value.toString();
    case 'bytes':
      return Buffer.from(value.value).toString('base64');
    case 'array':
      return value.value.map(anyValueJson);
    case 'kvlist':
      return Object.fromEntries(value.value.map((kv) => [kv.key, anyValueJson(kv.value)]));
    case 'empty':
      return null;
  }
}

/** The text stored for an attribute value, as the Collector's ClickHouse exporter stores it. */
export function anyValueText(value: AnyValue): string {
  switch (value.type) {
    case 'string':
      return value.value;
    case 'bool':
    case 'int':
    case 'double':
      return String(value.value);
    case 'bytes':
      return Buffer.from(value.value).toString('base64');
    case 'array':
    case 'kvlist':
      return JSON.stringify(anyValueJson(value));
    case 'empty':
      return '';
  }
}

/**
 * Splits OTLP attributes into the text map and the type map (strings need no type entry).
 * @example attributeColumns(span.attributes).values['gen_ai.request.model']
 */
export function attributeColumns(list: KeyValue[]): AttributeColumns {
  // Null-prototype maps: keys come from senders, and one named `__proto__` must stay a key.
  const values: Record<string, string> = Object.create(null);
  const types: Record<string, string> = Object.create(null);
  for (const { key, value } of list) {
    values[key] = anyValueText(value);
    if (value.type !== 'string') types[key] = value.type;
    else delete types[key];
  }
  return { values, types };
}

/**
 * The JSON value of one stored attribute from its text and its stored type (undefined: a string).
 * @example typedValue('200', 'int') // 200
 */
export function typedValue(text: string, type: string | undefined): unknown {
  switch (type) {
    case undefined:
    case 'bytes':
      return text;
    case 'bool':
      return text === 'true';
    case 'int': {
      const n = Number(text);
      return Number.isSafeInteger(n) ? n : text;
    }
    case 'double': {
      // NaN and ±Infinity stay the proto3 JSON strings ("NaN", "Infinity", "-Infinity").
      const n = Number(text);
      return Number.isFinite(n) ? n : text;
    }
    case 'array':
    case 'kvlist':
      try {
        return JSON.parse(text);
      } catch {
        return text;
      }
    case 'empty':
      return null;
    default:
      return text;
  }
}

/**
 * Rebuilds typed attribute values from the two stored maps.
 * @example typedAttributes({ 'http.status_code': '200' }, { 'http.status_code': 'int' }) // { 'http.status_code': 200 }
 */
export function typedAttributes(
  values: Record<string, string>,
  types: Record<string, string>,
): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null);
  for (const [key, text] of Object.entries(values)) {
    out[key] = typedValue(text, Object.hasOwn(types, key) ? types[key] : undefined);
  }
  return out;
}

/** An OTLP value for parsed JSON (array and kvlist texts): whole numbers as int, other numbers as double. */
function jsonAnyValue(value: unknown): AnyValue {
  if (value === null || value === undefined) return { type: 'empty' };
  if (typeof value === 'string') return { type: 'string', value };
  if (typeof value === 'boolean') return { type: 'bool', value };
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) ? { type: 'int', value: BigInt(value) } : { type: 'double', value };
  }
  if (Array.isArray(value)) return { type: 'array', value: value.map(jsonAnyValue) };
  return {
    type: 'kvlist',
    value: Object.entries(value as object).map(([key, v]) => ({ key, value: jsonAnyValue(v) })),
  };
}

function anyValueOf(text: string, type: string | undefined): AnyValue {
  switch (type) {
    case 'bool':
      return { type: 'bool', value: text === 'true' };
    case 'int':
      return /^-?\d+$/.test(text) ? { type: 'int', value: BigInt(text) } : { type: 'string', value: text };
    case 'double':
      return { type: 'double', value: Number(text) };
    case 'bytes':
      return { type: 'bytes', value: new Uint8Array(Buffer.from(text, 'base64')) };
    case 'array':
    case 'kvlist':
      try {
        return jsonAnyValue(JSON.parse(text));
      } catch {
        return { type: 'string', value: text };
      }
    case 'empty':
      return { type: 'empty' };
    default:
      return { type: 'string', value: text };
  }
}

/**
 * OTLP attributes again from the two stored maps (the inverse of attributeColumns; values
 * nested in arrays and kvlists keep JSON's types).
 * @example otlpAttributes({ 'http.status_code': '200' }, { 'http.status_code': 'int' }) // [{ key, value: { type: 'int', value: 200n } }]
 */
export function otlpAttributes(values: Record<string, string>, types: Record<string, string>): KeyValue[] {
  return Object.entries(values).map(([key, text]) => ({
    key,
    value: anyValueOf(text, Object.hasOwn(types, key) ? types[key] : undefined),
  }));
}
