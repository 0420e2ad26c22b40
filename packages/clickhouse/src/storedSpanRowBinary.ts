import { typedValue } from './attributeColumns.ts';
import { RowBinaryFormatError, type RowBinaryReader, rowBinaryReader } from './rowBinaryReader.ts';
import { spanColumnType } from './spanRowBinary.ts';
import { isoTimes, type StoredSpan } from './storedSpan.ts';

const withoutLowCardinality = (type: string) => type.replaceAll(/LowCardinality\(([^()]*)\)/g, '$1');

/**
 * The columns of a `spans` row that a StoredSpan is made of, in the order storedSpansOf reads
 * them, with the type each must have: spanRowBinary's, LowCardinality aside (RowBinary writes
 * it as its inner type). Type maps come before their values so a value is typed as it is read.
 */
export const storedSpanColumns: ReadonlyArray<readonly [column: string, type: string]> = [
  'TraceId',
  'SpanId',
  'ParentSpanId',
  'TraceState',
  'TraceFlags',
  'SpanName',
  'SpanKind',
  'ServiceName',
  'Timestamp',
  'Duration',
  'StatusCode',
  'StatusMessage',
  'SpanAttributeTypes',
  'SpanAttributes',
  'ResourceAttributeTypes',
  'ResourceAttributes',
  'ScopeName',
  'ScopeVersion',
  'ScopeAttributeTypes',
  'ScopeAttributes',
  'Events.Timestamp',
  'Events.Name',
  'Events.AttributeTypes',
  'Events.Attributes',
  'Links.TraceId',
  'Links.SpanId',
  'Links.TraceState',
  'Links.Flags',
  'Links.AttributeTypes',
  'Links.Attributes',
  'DroppedAttributesCount',
  'DroppedEventsCount',
  'DroppedLinksCount',
  'job_id',
  'job_version',
  'job_type',
  'span_type',
  'gen_ai_operation',
  'gen_ai_provider',
  'gen_ai_request_model',
  'gen_ai_response_model',
  'gen_ai_input_tokens',
  'gen_ai_output_tokens',
  'gen_ai_cache_read_tokens',
  'gen_ai_cache_write_tokens',
  'gen_ai_reasoning_tokens',
  'gen_ai_cost_usd',
  'gen_ai_cost_source',
  'gen_ai_price_id',
  'gen_ai_input_text',
  'gen_ai_output_text',
  'session_id',
  'user_id',
].map((column) => [column, withoutLowCardinality(spanColumnType(column))]);

/** The SELECT list of a read whose answer storedSpansOf parses (`FORMAT RowBinaryWithNamesAndTypes`). */
export const storedSpanSelect = storedSpanColumns.map(([column]) => `\`${column}\``).join(', ');

/** Reads the names-and-types header and checks it is the one storedSpanColumns describes. */
function checkHeader(r: RowBinaryReader): void {
  const count = r.varUInt();
  const names = Array.from({ length: count }, () => r.string());
  const types = Array.from({ length: count }, () => withoutLowCardinality(r.string()));
  const expected = storedSpanColumns.map(([, type]) => type);
  if (count !== expected.length || types.some((type, i) => type !== expected[i])) {
    const got = names.map((name, i) => `${name} ${types[i]}`).join(', ');
    throw new RowBinaryFormatError(`the spans read answered columns that are not the ones asked for: ${got}`);
  }
}

const orNull = (s: string) => (s === '' ? null : s);

/**
 * Parses a `RowBinaryWithNamesAndTypes` answer of `SELECT ${storedSpanSelect}` straight into
 * StoredSpans, in the engine's order: no JSON text for the engine to write and the process to
 * parse, and no record in between (issue 21: a part of 10 000 LLM spans is ~7 MB). Each span
 * has the fields, values and key order the JSON reader gave it, so the answer's text is the
 * same (readTrace.test compares them).
 * @example const spans = storedSpansOf(await readAll(result.stream));
 */
export function storedSpansOf(bytes: Uint8Array): StoredSpan[] {
  const spans: StoredSpan[] = [];
  if (bytes.length === 0) return spans;
  const r = rowBinaryReader(bytes);
  checkHeader(r);
  const iso = isoTimes();
  // SpanKind and StatusCode have a handful of values; upper-cased once each.
  const upper = new Map<string, string>();
  const upperCase = (s: string) => {
    let u = upper.get(s);
    if (u === undefined) {
      u = s.toUpperCase();
      upper.set(s, u);
    }
    return u;
  };

  /** A type map; undefined when empty (most are: string values have no type entry). */
  const types = (): Record<string, string> | undefined => {
    const n = r.varUInt();
    if (n === 0) return undefined;
    const map: Record<string, string> = Object.create(null);
    for (let i = 0; i < n; i++) {
      const key = r.string();
      map[key] = r.string();
    }
    return map;
  };
  /** A value map typed as typedAttributes types it (null-prototype: a key may be `__proto__`). */
  const attributes = (typeMap: Record<string, string> | undefined): Record<string, unknown> => {
    const out: Record<string, unknown> = Object.create(null);
    const n = r.varUInt();
    for (let i = 0; i < n; i++) {
      const key = r.string();
      const text = r.string();
      out[key] = typeMap === undefined ? text : typedValue(text, typeMap[key]);
    }
    return out;
  };
  const strings = (): string[] => {
    const n = r.varUInt();
    const list = new Array<string>(n);
    for (let i = 0; i < n; i++) list[i] = r.string();
    return list;
  };

  while (!r.done()) {
    const traceId = r.string();
    const spanId = r.string();
    const parentSpanId = r.string();
    const traceState = r.string();
    const flags = r.uint32();
    const name = r.string();
    const kind = upperCase(r.string());
    const serviceName = r.string();
    const start = r.bigInt64();
    const duration = r.bigUint64();
    const end = start + duration;
    const statusCode = upperCase(r.string());
    const statusMessage = r.string();
    const attributes_ = attributes(types());
    const resourceAttributes = attributes(types());
    const scopeName = r.string();
    const scopeVersion = r.string();
    const scopeAttributes = attributes(types());
    const eventCount = r.varUInt();
    const eventTimes = new Array<bigint>(eventCount);
    for (let i = 0; i < eventCount; i++) eventTimes[i] = r.bigInt64();
    const eventNames = strings();
    const eventTypeCount = r.varUInt();
    const eventTypes = new Array<Record<string, string> | undefined>(eventTypeCount);
    for (let i = 0; i < eventTypeCount; i++) eventTypes[i] = types();
    const eventAttributeCount = r.varUInt();
    const eventAttributes = new Array<Record<string, unknown>>(eventAttributeCount);
    for (let i = 0; i < eventAttributeCount; i++) eventAttributes[i] = attributes(eventTypes[i]);
    const linkTraceIds = strings();
    const linkSpanIds = strings();
    const linkStates = strings();
    const linkFlagCount = r.varUInt();
    const linkFlags = new Array<number>(linkFlagCount);
    for (let i = 0; i < linkFlagCount; i++) linkFlags[i] = r.uint32();
    const linkTypeCount = r.varUInt();
    const linkTypes = new Array<Record<string, string> | undefined>(linkTypeCount);
    for (let i = 0; i < linkTypeCount; i++) linkTypes[i] = types();
    const linkAttributeCount = r.varUInt();
    const linkAttributes = new Array<Record<string, unknown>>(linkAttributeCount);
    for (let i = 0; i < linkAttributeCount; i++) linkAttributes[i] = attributes(linkTypes[i]);
    const droppedAttributesCount = r.uint32();
    const droppedEventsCount = r.uint32();
    const droppedLinksCount = r.uint32();
    const jobId = orNull(r.string());
    const jobVersion = orNull(r.string());
    const jobType = orNull(r.string());
    const spanType = orNull(r.string());
    const operation = orNull(r.string());
    const provider = orNull(r.string());
    const requestModel = orNull(r.string());
    const responseModel = orNull(r.string());
    const inputTokens = r.uint64();
    const outputTokens = r.uint64();
    const cacheReadTokens = r.uint64();
    const cacheWriteTokens = r.uint64();
    const reasoningTokens = r.uint64();
    // As JSON has it: the engine writes NaN and ±Infinity as null there.
    const cost = r.uint8() === 0 ? r.float64() : null;
    const costUsd = cost !== null && Number.isFinite(cost) ? cost : null;
    const costSource = orNull(r.string());
    const priceId = orNull(r.string());
    const inputText = r.string();
    const outputText = r.string();
    const sessionId = orNull(r.string());
    const userId = orNull(r.string());
    // The key order of readTrace's JSON reader: the answer's text depends on it.
    spans.push({
      traceId,
      spanId,
      parentSpanId,
      traceState,
      flags,
      name,
      kind,
      serviceName,
      startTime: iso(start),
      endTime: iso(end),
      startTimeUnixNano: start.toString(),
      endTimeUnixNano: end.toString(),
      durationNs: duration.toString(),
      status: { code: statusCode, message: statusMessage },
      attributes: attributes_,
      resourceAttributes,
      scope: { name: scopeName, version: scopeVersion, attributes: scopeAttributes },
      events: eventNames.map((eventName, i) => ({
        name: eventName,
        time: iso(eventTimes[i]!),
        timeUnixNano: eventTimes[i]!.toString(),
        attributes: eventAttributes[i] ?? Object.create(null),
      })),
      links: linkTraceIds.map((linkTraceId, i) => ({
        traceId: linkTraceId,
        spanId: linkSpanIds[i]!,
        traceState: linkStates[i]!,
        flags: Number(linkFlags[i]),
        attributes: linkAttributes[i] ?? Object.create(null),
      })),
      droppedAttributesCount,
      droppedEventsCount,
      droppedLinksCount,
      jobId,
      jobVersion,
      jobType,
      spanType,
      genAi: {
        operation,
        provider,
        requestModel,
        responseModel,
        inputTokens,
        outputTokens,
        cacheReadTokens,
        cacheWriteTokens,
        reasoningTokens,
        costUsd,
        costSource,
        priceId,
        inputText,
        outputText,
      },
      sessionId,
      userId,
    });
  }
  return spans;
}
