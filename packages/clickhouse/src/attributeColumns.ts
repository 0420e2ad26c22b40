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
    case 'double':
      return value.value;
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
 * Rebuilds typed attribute values from the two stored maps.
 * @example typedAttributes({ 'http.status_code': '200' }, { 'http.status_code': 'int' }) // { 'http.status_code': 200 }
 */
export function typedAttributes(
  values: Record<string, string>,
  types: Record<string, string>,
): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null);
  for (const [key, text] of Object.entries(values)) {
    switch (Object.hasOwn(types, key) ? types[key] : undefined) {
      case undefined:
      case 'bytes':
        out[key] = text;
        break;
      case 'bool':
        out[key] = text === 'true';
        break;
      case 'int': {
        const n = Number(text);
        out[key] = Number.isSafeInteger(n) ? n : text;
        break;
      }
      case 'double':
        out[key] = Number(text);
        break;
      case 'array':
      case 'kvlist':
        try {
          out[key] = JSON.parse(text);
        } catch {
          out[key] = text;
        }
        break;
      case 'empty':
        out[key] = null;
        break;
      default:
        out[key] = text;
    }
  }
  return out;
}
