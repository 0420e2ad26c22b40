import { isUtf8 } from 'node:buffer';
import { OtlpDecodeError } from './otlpDecodeError.ts';
import type {
  AnyValue,
  InstrumentationScope,
  KeyValue,
  Resource,
  Span,
  SpanEvent,
  SpanLink,
  TraceRequest,
} from './traceModel.ts';
import { jsonDecodedBytesEstimate, unboundedValues, type ValueLimits } from './valueLimits.ts';

// OTLP/JSON (OTLP specification, "JSON Protobuf Encoding"): the proto3 JSON mapping with
// lowerCamelCase keys, except that trace and span ids are hex strings (not base64) and enums
// are integers. Receivers should also take int64 as number or string, enum names and the
// original snake_case field names, as the Collector does.

type JsonObject = Record<string, unknown>;

const spanKinds: Record<string, number> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
};
const statusCodes: Record<string, number> = { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 };

function fail(path: string, message: string): never {
  throw new OtlpDecodeError(`${path}: ${message}`);
}

function overLimit(path: string, message: string): never {
  throw new OtlpDecodeError(`OTLP request refused: ${path}: ${message}`, { kind: 'limit' });
}

// The bounds of the decodeJsonRequest call under way (decoding is synchronous), so the many
// small readers below need not pass them along.
let limits: ValueLimits = unboundedValues;

function describe(value: unknown): string {
  // Integers past 2^53 arrive as bigint (see exactIntegers), which JSON.stringify refuses.
  const text = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  return text === undefined ? String(value) : text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

const snakeCache = new Map<string, string>();
function snake(camel: string): string {
  let s = snakeCache.get(camel);
  if (s === undefined) {
    s = camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    snakeCache.set(camel, s);
  }
  return s;
}

/** Reads a field by its lowerCamelCase name or its proto snake_case name; null counts as absent. */
function field(obj: JsonObject, name: string): unknown {
  const value = obj[name] ?? obj[snake(name)];
  return value === null ? undefined : value;
}

function object(value: unknown, path: string): JsonObject | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    fail(path, `expected an object, got ${describe(value)}`);
  return value as JsonObject;
}

function list(value: unknown, path: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail(path, `expected an array, got ${describe(value)}`);
  return value;
}

function string(value: unknown, path: string): string {
  if (value === undefined) return '';
  if (typeof value !== 'string') fail(path, `expected a string, got ${describe(value)}`);
  // A lone surrogate (`"\ud800"`) has no UTF-8 form: refused as protobuf refuses invalid UTF-8.
  if (!(value as string & { isWellFormed(): boolean }).isWellFormed())
    fail(path, 'string is not valid Unicode (lone surrogate)');
  return value;
}

function uint32(value: unknown, path: string): number {
  if (value === undefined) return 0;
  const n =
    (typeof value === 'string' && /^\d+$/.test(value)) || typeof value === 'bigint' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    fail(path, `expected an unsigned 32-bit integer, got ${describe(value)}`);
  }
  return n;
}

function int64(value: unknown, path: string, signed: boolean): bigint {
  if (value === undefined) return 0n;
  let n: bigint | undefined;
  if (typeof value === 'bigint') n = value;
  else if (typeof value === 'number' && Number.isInteger(value)) n = BigInt(value);
  else if (typeof value === 'string' && /^-?\d{1,20}$/.test(value)) n = BigInt(value);
  const min = signed ? -(2n ** 63n) : 0n;
  const max = signed ? 2n ** 63n - 1n : 2n ** 64n - 1n;
  if (n === undefined || n < min || n > max) {
    fail(
      path,
      `expected a ${signed ? '' : 'non-negative '}64-bit integer as number or decimal string, got ${describe(value)}`,
    );
  }
  return n;
}

function double(value: unknown, path: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (value === 'NaN') return Number.NaN;
  if (value === 'Infinity') return Number.POSITIVE_INFINITY;
  if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
    return Number(value);
  fail(path, `expected a number, got ${describe(value)}`);
}

function enumValue(value: unknown, names: Record<string, number>, path: string): number {
  if (value === undefined) return 0;
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && value in names) return names[value]!;
  fail(path, `expected an enum number or one of ${Object.keys(names).join(', ')}, got ${describe(value)}`);
}

/** Ids are hex in OTLP/JSON; kept lowercase. Malformed ids stay visible so validation can reject the span. */
function hexId(value: unknown, path: string): string {
  if (value === undefined) return '';
  if (typeof value !== 'string') fail(path, `expected a hex string, got ${describe(value)}`);
  return value.toLowerCase();
}

function bytes(value: unknown, path: string): Uint8Array {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(value)) {
    fail(path, `expected base64 bytes, got ${describe(value)}`);
  }
  return new Uint8Array(Buffer.from(value, 'base64'));
}

/** One AnyValue, `depth` arrays and kvlists deep (bounded, so recursion stays shallow). */
function anyValue(value: unknown, path: string, depth: number): AnyValue {
  const obj = object(value, path);
  if (!obj) return { type: 'empty' };
  const stringValue = field(obj, 'stringValue');
  if (stringValue !== undefined) return { type: 'string', value: string(stringValue, `${path}.stringValue`) };
  const boolValue = field(obj, 'boolValue');
  if (boolValue !== undefined) {
    if (typeof boolValue !== 'boolean')
      fail(`${path}.boolValue`, `expected true or false, got ${describe(boolValue)}`);
    return { type: 'bool', value: boolValue };
  }
  const intValue = field(obj, 'intValue');
  if (intValue !== undefined) return { type: 'int', value: int64(intValue, `${path}.intValue`, true) };
  const doubleValue = field(obj, 'doubleValue');
  if (doubleValue !== undefined) return { type: 'double', value: double(doubleValue, `${path}.doubleValue`) };
  const bytesValue = field(obj, 'bytesValue');
  if (bytesValue !== undefined) return { type: 'bytes', value: bytes(bytesValue, `${path}.bytesValue`) };
  const arrayValue = field(obj, 'arrayValue');
  if (arrayValue !== undefined) {
    const array = object(arrayValue, `${path}.arrayValue`) ?? {};
    const values = elements(field(array, 'values'), `${path}.arrayValue.values`, depth);
    return {
      type: 'array',
      value: values.map((item, i) => anyValue(item, `${path}.arrayValue.values[${i}]`, depth + 1)),
    };
  }
  const kvlistValue = field(obj, 'kvlistValue');
  if (kvlistValue !== undefined) {
    const kvlist = object(kvlistValue, `${path}.kvlistValue`) ?? {};
    const values = elements(field(kvlist, 'values'), `${path}.kvlistValue.values`, depth);
    return { type: 'kvlist', value: keyValues(values, `${path}.kvlistValue.values`, depth + 1) };
  }
  return { type: 'empty' };
}

/** The elements of an array or kvlist `depth` values deep, within the limits. */
function elements(value: unknown, path: string, depth: number): unknown[] {
  if (depth + 1 > limits.maxValueDepth)
    overLimit(path, `values nested more than ${limits.maxValueDepth} deep (maxValueDepth)`);
  const items = list(value, path);
  if (items.length > limits.maxValueElements)
    overLimit(path, `an array or kvlist of more than ${limits.maxValueElements} elements (maxValueElements)`);
  return items;
}

/** Attributes (depth 0) or kvlist elements, whose values are `depth` deep. */
function keyValues(value: unknown, path: string, depth = 0): KeyValue[] {
  const items = list(value, path);
  if (depth === 0 && items.length > limits.maxAttributes)
    overLimit(path, `more than ${limits.maxAttributes} attributes (maxAttributes)`);
  return items.map((item, i) => {
    const p = `${path}[${i}]`;
    const kv = object(item, p) ?? {};
    return {
      key: string(field(kv, 'key'), `${p}.key`),
      value: anyValue(field(kv, 'value'), `${p}.value`, depth),
    };
  });
}

function resource(value: unknown, path: string): Resource {
  const obj = object(value, path) ?? {};
  return {
    attributes: keyValues(field(obj, 'attributes'), `${path}.attributes`),
    droppedAttributesCount: uint32(field(obj, 'droppedAttributesCount'), `${path}.droppedAttributesCount`),
  };
}

function scope(value: unknown, path: string): InstrumentationScope {
  const obj = object(value, path) ?? {};
  return {
    name: string(field(obj, 'name'), `${path}.name`),
    version: string(field(obj, 'version'), `${path}.version`),
    attributes: keyValues(field(obj, 'attributes'), `${path}.attributes`),
    droppedAttributesCount: uint32(field(obj, 'droppedAttributesCount'), `${path}.droppedAttributesCount`),
  };
}

function event(value: unknown, path: string): SpanEvent {
  const obj = object(value, path) ?? {};
  return {
    timeUnixNano: int64(field(obj, 'timeUnixNano'), `${path}.timeUnixNano`, false),
    name: string(field(obj, 'name'), `${path}.name`),
    attributes: keyValues(field(obj, 'attributes'), `${path}.attributes`),
    droppedAttributesCount: uint32(field(obj, 'droppedAttributesCount'), `${path}.droppedAttributesCount`),
  };
}

function link(value: unknown, path: string): SpanLink {
  const obj = object(value, path) ?? {};
  return {
    traceId: hexId(field(obj, 'traceId'), `${path}.traceId`),
    spanId: hexId(field(obj, 'spanId'), `${path}.spanId`),
    traceState: string(field(obj, 'traceState'), `${path}.traceState`),
    attributes: keyValues(field(obj, 'attributes'), `${path}.attributes`),
    droppedAttributesCount: uint32(field(obj, 'droppedAttributesCount'), `${path}.droppedAttributesCount`),
    flags: uint32(field(obj, 'flags'), `${path}.flags`),
  };
}

function span(value: unknown, path: string): Span {
  const obj = object(value, path) ?? {};
  const status = object(field(obj, 'status'), `${path}.status`) ?? {};
  return {
    traceId: hexId(field(obj, 'traceId'), `${path}.traceId`),
    spanId: hexId(field(obj, 'spanId'), `${path}.spanId`),
    traceState: string(field(obj, 'traceState'), `${path}.traceState`),
    parentSpanId: hexId(field(obj, 'parentSpanId'), `${path}.parentSpanId`),
    flags: uint32(field(obj, 'flags'), `${path}.flags`),
    name: string(field(obj, 'name'), `${path}.name`),
    kind: enumValue(field(obj, 'kind'), spanKinds, `${path}.kind`),
    startTimeUnixNano: int64(field(obj, 'startTimeUnixNano'), `${path}.startTimeUnixNano`, false),
    endTimeUnixNano: int64(field(obj, 'endTimeUnixNano'), `${path}.endTimeUnixNano`, false),
    attributes: keyValues(field(obj, 'attributes'), `${path}.attributes`),
    droppedAttributesCount: uint32(field(obj, 'droppedAttributesCount'), `${path}.droppedAttributesCount`),
    events: list(field(obj, 'events'), `${path}.events`).map((e, i) => event(e, `${path}.events[${i}]`)),
    droppedEventsCount: uint32(field(obj, 'droppedEventsCount'), `${path}.droppedEventsCount`),
    links: list(field(obj, 'links'), `${path}.links`).map((l, i) => link(l, `${path}.links[${i}]`)),
    droppedLinksCount: uint32(field(obj, 'droppedLinksCount'), `${path}.droppedLinksCount`),
    status: {
      code: enumValue(field(status, 'code'), statusCodes, `${path}.status.code`),
      message: string(field(status, 'message'), `${path}.status.message`),
    },
  };
}

const longInteger = /[:[,]\s*-?\d{16,}\s*[,\]}]/;

function exactIntegers(_key: string, value: unknown, context?: { source?: string }): unknown {
  if (
    typeof value === 'number' &&
    !Number.isSafeInteger(value) &&
    context?.source &&
    /^-?\d+$/.test(context.source)
  ) {
    return BigInt(context.source);
  }
  return value;
}

/**
 * Decodes an OTLP/JSON ExportTraceServiceRequest, from text or from UTF-8 bytes (invalid UTF-8
 * is refused, as in OTLP/protobuf, rather than replaced).
 * @throws OtlpDecodeError naming the first wrong field, e.g. `resourceSpans[0].scopeSpans[0].spans[1].kind: …`
 * (kind `malformed`), or the first of `bounds` passed (kind `limit`).
 * @example const request = decodeJsonRequest('{"resourceSpans":[]}', defaultValueLimits);
 */
export function decodeJsonRequest(
  body: string | Uint8Array,
  bounds: ValueLimits = unboundedValues,
  {
    reserve,
  }: {
    /**
     * Called with the estimated decoded size before the body is parsed, to reserve it (it throws
     * to refuse); a size past `bounds.maxDecodedBytes` is refused before it is called.
     */
    reserve?: (decodedBytes: number) => void;
  } = {},
): TraceRequest {
  const parsed = parseJsonBody(body, bounds, reserve);
  return withLimits(bounds, () => decodeRoot(parsed));
}

/** Runs a decode of parsed OTLP/JSON under `bounds` (the readers below consult them). */
export function withLimits<T>(bounds: ValueLimits, decode: () => T): T {
  limits = bounds;
  try {
    return decode();
  } finally {
    limits = unboundedValues;
  }
}

/**
 * Parses the text of an OTLP/JSON body (invalid UTF-8 refused), integers past 2^53 as bigint,
 * after checking its estimated decoded size against `bounds` and reserving it.
 */
export function parseJsonBody(
  body: string | Uint8Array,
  bounds: ValueLimits,
  reserve?: (decodedBytes: number) => void,
): unknown {
  if (typeof body !== 'string' && !isUtf8(body)) fail('(body)', 'not valid UTF-8');
  if (typeof body !== 'string' && (reserve || Number.isFinite(bounds.maxDecodedBytes))) {
    const decodedBytes = jsonDecodedBytesEstimate(body);
    if (decodedBytes > bounds.maxDecodedBytes)
      overLimit(
        '(body)',
        `decodes to about ${Math.ceil(decodedBytes / 1024 ** 2)} MiB, more than ${Math.floor(bounds.maxDecodedBytes / 1024 ** 2)} MiB (maxDecodedBytes)`,
      );
    reserve?.(decodedBytes);
  }
  return parseJson(body);
}

function parseJson(body: string | Uint8Array): unknown {
  const text =
    typeof body === 'string'
      ? body
      : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  try {
    // Integers past 2^53 (nanosecond times sent as JSON numbers) would lose digits as doubles;
    // only when the text has such a number, read them from their source text as bigint.
    return longInteger.test(text) ? JSON.parse(text, exactIntegers) : JSON.parse(text);
  } catch (error) {
    throw new OtlpDecodeError(`invalid JSON: ${(error as Error).message}`, { cause: error });
  }
}

/** The OTLP/JSON field readers, for the other signals' decoders (decodeLogs, decodeJsonMetrics). */
export const jsonReaders = {
  field,
  object,
  list,
  string,
  uint32,
  int64,
  double,
  enumValue,
  hexId,
  keyValues,
  resource,
  scope,
  anyValue,
  resourceScopes,
  fail,
};

/** A scope level of an OTLP/JSON request: the scope, its schema URL and its items under `IK`. */
type JsonScoped<IK extends string, T> = { scope: InstrumentationScope; schemaUrl: string } & Record<IK, T[]>;
/** A resource level: the resource, its schema URL and its scope levels under `SK`. */
type JsonResourced<SK extends string, IK extends string, T> = {
  resource: Resource;
  schemaUrl: string;
} & Record<SK, JsonScoped<IK, T>[]>;

/**
 * The two outer levels every OTLP/JSON export request shares (resourceSpans / resourceLogs /
 * resourceMetrics → scope… → items), each field read with its path for the error message.
 * @example resourceScopes(root, 'resourceLogs', 'scopeLogs', 'logRecords', logRecord)
 */
function resourceScopes<SK extends string, IK extends string, T>(
  root: JsonObject,
  resourcesKey: string,
  scopesKey: SK,
  itemsKey: IK,
  item: (value: unknown, path: string) => T,
): JsonResourced<SK, IK, T>[] {
  return list(field(root, resourcesKey), resourcesKey).map((value, r) => {
    const path = `${resourcesKey}[${r}]`;
    const rs = object(value, path) ?? {};
    const scopes = list(field(rs, scopesKey), `${path}.${scopesKey}`).map((value, s) => {
      const sPath = `${path}.${scopesKey}[${s}]`;
      const ss = object(value, sPath) ?? {};
      return {
        scope: scope(field(ss, 'scope'), `${sPath}.scope`),
        schemaUrl: string(field(ss, 'schemaUrl'), `${sPath}.schemaUrl`),
        [itemsKey]: list(field(ss, itemsKey), `${sPath}.${itemsKey}`).map((it, i) =>
          item(it, `${sPath}.${itemsKey}[${i}]`),
        ),
      } as JsonScoped<IK, T>;
    });
    return {
      resource: resource(field(rs, 'resource'), `${path}.resource`),
      schemaUrl: string(field(rs, 'schemaUrl'), `${path}.schemaUrl`),
      [scopesKey]: scopes,
    } as JsonResourced<SK, IK, T>;
  });
}

function decodeRoot(parsed: unknown): TraceRequest {
  const root = object(parsed, '(body)') ?? fail('(body)', 'expected an object, got null');
  return { resourceSpans: resourceScopes(root, 'resourceSpans', 'scopeSpans', 'spans', span) };
}
