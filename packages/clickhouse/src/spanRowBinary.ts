import type { KeyValue, Span, TraceRequest } from '@llmp/otlp';
import { emptyGenAiFields, type GenAiFields } from '@llmp/otlp';
import { anyValueText, attributeColumns } from './attributeColumns.ts';
import { preview } from './genAiRowColumns.ts';
import { type RowBinaryWriter, rowBinaryWriter } from './rowBinaryWriter.ts';
import { jobText, serviceName, spanKindName, statusCodeName } from './spanColumns.ts';
import { storableNanos } from './storedSpan.ts';

const attributeMap = 'Map(LowCardinality(String), String)';
const attributeTypes = 'Map(LowCardinality(String), LowCardinality(String))';
const time = "DateTime64(9, 'UTC')";

/**
 * The `spans` columns spanRowBinary writes, in its order, with the types of migrations 1-2
 * (LowCardinality(String) is a plain String in RowBinary).
 */
export const spanRowBinaryColumns: ReadonlyArray<readonly [name: string, type: string]> = [
  ['project_id', 'LowCardinality(String)'],
  ['Timestamp', time],
  ['TraceId', 'String'],
  ['SpanId', 'String'],
  ['ParentSpanId', 'String'],
  ['TraceState', 'String'],
  ['TraceFlags', 'UInt32'],
  ['SpanName', 'LowCardinality(String)'],
  ['SpanKind', 'LowCardinality(String)'],
  ['ServiceName', 'LowCardinality(String)'],
  ['ResourceAttributes', attributeMap],
  ['ResourceAttributeTypes', attributeTypes],
  ['ResourceSchemaUrl', 'LowCardinality(String)'],
  ['ScopeName', 'String'],
  ['ScopeVersion', 'String'],
  ['ScopeAttributes', attributeMap],
  ['ScopeAttributeTypes', attributeTypes],
  ['SpanAttributes', attributeMap],
  ['SpanAttributeTypes', attributeTypes],
  ['Duration', 'UInt64'],
  ['StatusCode', 'LowCardinality(String)'],
  ['StatusMessage', 'String'],
  ['Events.Timestamp', `Array(${time})`],
  ['Events.Name', 'Array(LowCardinality(String))'],
  ['Events.Attributes', `Array(${attributeMap})`],
  ['Events.AttributeTypes', `Array(${attributeTypes})`],
  ['Links.TraceId', 'Array(String)'],
  ['Links.SpanId', 'Array(String)'],
  ['Links.TraceState', 'Array(String)'],
  ['Links.Flags', 'Array(UInt32)'],
  ['Links.Attributes', `Array(${attributeMap})`],
  ['Links.AttributeTypes', `Array(${attributeTypes})`],
  ['DroppedAttributesCount', 'UInt32'],
  ['DroppedEventsCount', 'UInt32'],
  ['DroppedLinksCount', 'UInt32'],
  ['job_id', 'String'],
  ['job_version', 'String'],
  ['job_type', 'LowCardinality(String)'],
  ['span_type', 'LowCardinality(String)'],
  ['gen_ai_operation', 'LowCardinality(String)'],
  ['gen_ai_provider', 'LowCardinality(String)'],
  ['gen_ai_request_model', 'LowCardinality(String)'],
  ['gen_ai_response_model', 'LowCardinality(String)'],
  ['gen_ai_input_tokens', 'UInt64'],
  ['gen_ai_output_tokens', 'UInt64'],
  ['gen_ai_cache_read_tokens', 'UInt64'],
  ['gen_ai_cache_write_tokens', 'UInt64'],
  ['gen_ai_reasoning_tokens', 'UInt64'],
  ['gen_ai_cost_usd', 'Nullable(Float64)'],
  ['gen_ai_cost_source', 'LowCardinality(String)'],
  ['gen_ai_price_id', 'LowCardinality(String)'],
  ['gen_ai_input_text', 'String'],
  ['gen_ai_output_text', 'String'],
  ['gen_ai_input_preview', 'String'],
  ['gen_ai_output_preview', 'String'],
  ['session_id', 'String'],
  ['user_id', 'String'],
];

const spanRowBinaryTypes = new Map(spanRowBinaryColumns);

/**
 * The type of a `spans` column as spanRowBinary writes it.
 * @throws Error when spanRowBinary writes no such column.
 * @example spanColumnType('TraceFlags') // 'UInt32'
 */
export function spanColumnType(column: string): string {
  const type = spanRowBinaryTypes.get(column);
  if (type === undefined) throw new Error(`spanRowBinary writes no column ${column}`);
  return type;
}

/** True when a key repeats (then the last value wins, as in attributeColumns). */
function repeatsKey(list: KeyValue[]): boolean {
  if (list.length <= 12) {
    for (let i = 1; i < list.length; i++)
      for (let j = 0; j < i; j++) if (list[i]!.key === list[j]!.key) return true;
    return false;
  }
  return new Set(list.map((kv) => kv.key)).size !== list.length;
}

function writeMap(w: RowBinaryWriter, map: Record<string, string>): void {
  const keys = Object.keys(map);
  w.varUInt(keys.length);
  for (const key of keys) {
    w.string(key);
    w.string(map[key]!);
  }
}

/** The attribute text map, written straight from the OTLP list when no key repeats. */
function writeValues(w: RowBinaryWriter, list: KeyValue[], repeats = repeatsKey(list)): void {
  if (repeats) {
    writeMap(w, attributeColumns(list).values);
    return;
  }
  w.varUInt(list.length);
  for (const { key, value } of list) {
    w.string(key);
    w.string(value.type === 'string' ? value.value : anyValueText(value));
  }
}

/** The attribute type map (non-string values only). */
function writeTypes(w: RowBinaryWriter, list: KeyValue[], repeats = repeatsKey(list)): void {
  if (repeats) {
    writeMap(w, attributeColumns(list).types);
    return;
  }
  let typed = 0;
  for (const kv of list) if (kv.value.type !== 'string') typed++;
  w.varUInt(typed);
  if (typed === 0) return;
  for (const { key, value } of list) {
    if (value.type === 'string') continue;
    w.string(key);
    w.string(value.type);
  }
}

/** The text map, then the type map, of one attribute list. */
function writeAttributes(w: RowBinaryWriter, list: KeyValue[]): void {
  const repeats = repeatsKey(list);
  writeValues(w, list, repeats);
  writeTypes(w, list, repeats);
}

// Nested columns as one array each, written with plain loops (no closure per span).
function writeEvents(w: RowBinaryWriter, events: Span['events']): void {
  const n = events.length;
  w.varUInt(n);
  for (let i = 0; i < n; i++) w.int64(storableNanos(events[i]!.timeUnixNano));
  w.varUInt(n);
  for (let i = 0; i < n; i++) w.string(events[i]!.name);
  w.varUInt(n);
  for (let i = 0; i < n; i++) writeValues(w, events[i]!.attributes);
  w.varUInt(n);
  for (let i = 0; i < n; i++) writeTypes(w, events[i]!.attributes);
}

function writeLinks(w: RowBinaryWriter, links: Span['links']): void {
  const n = links.length;
  w.varUInt(n);
  for (let i = 0; i < n; i++) w.string(links[i]!.traceId);
  w.varUInt(n);
  for (let i = 0; i < n; i++) w.string(links[i]!.spanId);
  w.varUInt(n);
  for (let i = 0; i < n; i++) w.string(links[i]!.traceState);
  w.varUInt(n);
  for (let i = 0; i < n; i++) w.uint32(links[i]!.flags);
  w.varUInt(n);
  for (let i = 0; i < n; i++) writeValues(w, links[i]!.attributes);
  w.varUInt(n);
  for (let i = 0; i < n; i++) writeTypes(w, links[i]!.attributes);
}

type ResourceSpans = TraceRequest['resourceSpans'][number];
type ScopeSpans = ResourceSpans['scopeSpans'][number];

/**
 * Writes the columns every span of a scope shares, from ResourceAttributes to
 * ScopeAttributeTypes: encoded for its first span, copied for the others.
 */
function scopeColumns(w: RowBinaryWriter, rs: ResourceSpans, ss: ScopeSpans): () => void {
  let start = -1;
  let end = -1;
  return () => {
    if (start >= 0) {
      w.repeat(start, end);
      return;
    }
    start = w.offset();
    writeAttributes(w, rs.resource.attributes);
    w.string(rs.schemaUrl);
    w.string(ss.scope.name);
    w.string(ss.scope.version);
    writeAttributes(w, ss.scope.attributes);
    end = w.offset();
  };
}

function writeSpan(
  w: RowBinaryWriter,
  projectId: string,
  service: string,
  rs: ResourceSpans,
  ss: ScopeSpans,
  shared: () => void,
  span: Span,
  fields: GenAiFields,
  lastGenAi: GenAiBytes,
): void {
  w.string(projectId);
  w.int64(storableNanos(span.startTimeUnixNano));
  w.string(span.traceId);
  w.string(span.spanId);
  w.string(span.parentSpanId);
  w.string(span.traceState);
  w.uint32(span.flags);
  w.string(span.name);
  w.string(spanKindName(span.kind));
  w.string(service);
  shared();
  writeAttributes(w, span.attributes);
  w.uint64(
    span.endTimeUnixNano > span.startTimeUnixNano ? span.endTimeUnixNano - span.startTimeUnixNano : 0n,
  );
  w.string(statusCodeName(span.status.code));
  w.string(span.status.message);
  if (span.events.length > 0) writeEvents(w, span.events);
  else for (let i = 0; i < 4; i++) w.varUInt(0);
  if (span.links.length > 0) writeLinks(w, span.links);
  else for (let i = 0; i < 6; i++) w.varUInt(0);
  w.uint32(span.droppedAttributesCount);
  w.uint32(span.droppedEventsCount);
  w.uint32(span.droppedLinksCount);
  const scopeAttributes = ss.scope.attributes;
  const resourceAttributes = rs.resource.attributes;
  w.string(jobText('llmp.job.id', span.attributes, scopeAttributes, resourceAttributes));
  w.string(jobText('llmp.job.version', span.attributes, scopeAttributes, resourceAttributes));
  w.string(jobText('llmp.job.type', span.attributes, scopeAttributes, resourceAttributes));
  if (fields === lastGenAi.fields) {
    w.repeat(lastGenAi.start, lastGenAi.end);
    return;
  }
  const start = w.offset();
  writeGenAi(w, fields);
  lastGenAi.fields = fields;
  lastGenAi.start = start;
  lastGenAi.end = w.offset();
}

/**
 * The GenAI columns of the last span written and where their bytes are: spans that share one
 * fields object (every span no rule read anything of, see the genai processor) share the bytes,
 * copied instead of encoded again (issue 21).
 */
interface GenAiBytes {
  fields: GenAiFields | undefined;
  start: number;
  end: number;
}

/** The GenAI columns, gen_ai_* to user_id. */
function writeGenAi(w: RowBinaryWriter, fields: GenAiFields): void {
  w.string(fields.spanType);
  w.string(fields.operation);
  w.string(fields.provider);
  w.string(fields.requestModel);
  w.string(fields.responseModel);
  w.uint64Count(fields.inputTokens);
  w.uint64Count(fields.outputTokens);
  w.uint64Count(fields.cacheReadTokens);
  w.uint64Count(fields.cacheWriteTokens);
  w.uint64Count(fields.reasoningTokens);
  if (fields.costUsd === null) w.uint8(1);
  else {
    w.uint8(0);
    w.float64(fields.costUsd);
  }
  w.string(fields.costSource);
  w.string(fields.priceId);
  w.string(fields.inputText);
  w.string(fields.outputText);
  w.string(preview(fields.inputText));
  w.string(preview(fields.outputText));
  w.string(fields.sessionId);
  w.string(fields.userId);
}

/**
 * The `spans` rows of a request as one RowBinary payload (columns: spanRowBinaryColumns), written
 * straight from the decoded request without building row objects. The stored values are those
 * of spanRows. `genAi` gives a span's canonical GenAI fields; without them those columns are empty.
 * @example const { bytes, rows } = spanRowBinary('default', batch.request(), (span) => genAiOf(batch, span));
 */
export function spanRowBinary(
  projectId: string,
  request: TraceRequest,
  genAi: (span: Span) => GenAiFields | undefined = () => undefined,
  /**
   * Expected payload bytes, to spare regrowing the buffer, or a buffer to write into (e.g. the
   * `buffer` of an earlier payload that is no longer read).
   */
  room?: number | Buffer,
): { bytes: Buffer; rows: number; buffer: Buffer } {
  const w = rowBinaryWriter(room);
  const empty = emptyGenAiFields();
  const lastGenAi: GenAiBytes = { fields: undefined, start: 0, end: 0 };
  let rows = 0;
  for (const rs of request.resourceSpans) {
    const service = serviceName(rs.resource.attributes);
    for (const ss of rs.scopeSpans) {
      const shared = scopeColumns(w, rs, ss);
      for (const span of ss.spans) {
        writeSpan(w, projectId, service, rs, ss, shared, span, genAi(span) ?? empty, lastGenAi);
        rows++;
      }
    }
  }
  return { bytes: w.bytes(), rows, buffer: w.buffer() };
}
