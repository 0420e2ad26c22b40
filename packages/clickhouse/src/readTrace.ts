import { genAiTextEvents } from '@llmp/otlp';
import { typedAttributes } from './attributeColumns.ts';
import type { ClickHouseStore } from './clickhouseStore.ts';
import { type GenAiEventRecord, genAiEventText } from './genAiEventText.ts';
import { readTraceScores } from './readTraceScores.ts';
import { type GenAiScore, isoFromNanos, type StoredSpan } from './storedSpan.ts';
import { storedSpanSelect, storedSpansOf } from './storedSpanRowBinary.ts';
import { traceRangeSelect } from './traceRange.ts';

type TextMap = Record<string, string>;

/** A `spans` row as readTrace selects it. */
export interface SpanRecord {
  TraceId: string;
  SpanId: string;
  ParentSpanId: string;
  TraceState: string;
  TraceFlags: number;
  SpanName: string;
  SpanKind: string;
  ServiceName: string;
  start_ns: string;
  Duration: string;
  ResourceAttributes: TextMap;
  ResourceAttributeTypes: TextMap;
  ResourceSchemaUrl: string;
  ScopeName: string;
  ScopeVersion: string;
  ScopeAttributes: TextMap;
  ScopeAttributeTypes: TextMap;
  SpanAttributes: TextMap;
  SpanAttributeTypes: TextMap;
  StatusCode: string;
  StatusMessage: string;
  event_ns: string[];
  event_names: string[];
  event_attributes: TextMap[];
  event_types: TextMap[];
  link_trace_ids: string[];
  link_span_ids: string[];
  link_states: string[];
  link_flags: number[];
  link_attributes: TextMap[];
  link_types: TextMap[];
  DroppedAttributesCount: number;
  DroppedEventsCount: number;
  DroppedLinksCount: number;
  job_id: string;
  job_version: string;
  job_type: string;
  span_type: string;
  gen_ai_operation: string;
  gen_ai_provider: string;
  gen_ai_request_model: string;
  gen_ai_response_model: string;
  gen_ai_input_tokens: string;
  gen_ai_output_tokens: string;
  gen_ai_cache_read_tokens: string;
  gen_ai_cache_write_tokens: string;
  gen_ai_reasoning_tokens: string;
  gen_ai_cost_usd: number | null;
  gen_ai_cost_source: string;
  gen_ai_price_id: string;
  gen_ai_input_text: string;
  gen_ai_output_text: string;
  session_id: string;
  user_id: string;
}

const orNull = (s: string) => (s === '' ? null : s);

function toStoredSpan(r: SpanRecord): StoredSpan {
  const start = BigInt(r.start_ns);
  const end = start + BigInt(r.Duration);
  return {
    traceId: r.TraceId,
    spanId: r.SpanId,
    parentSpanId: r.ParentSpanId,
    traceState: r.TraceState,
    flags: Number(r.TraceFlags),
    name: r.SpanName,
    kind: r.SpanKind.toUpperCase(),
    serviceName: r.ServiceName,
    startTime: isoFromNanos(start),
    endTime: isoFromNanos(end),
    startTimeUnixNano: start.toString(),
    endTimeUnixNano: end.toString(),
    durationNs: r.Duration,
    status: { code: r.StatusCode.toUpperCase(), message: r.StatusMessage },
    attributes: typedAttributes(r.SpanAttributes, r.SpanAttributeTypes),
    resourceAttributes: typedAttributes(r.ResourceAttributes, r.ResourceAttributeTypes),
    scope: {
      name: r.ScopeName,
      version: r.ScopeVersion,
      attributes: typedAttributes(r.ScopeAttributes, r.ScopeAttributeTypes),
    },
    events: r.event_names.map((name, i) => ({
      name,
      time: isoFromNanos(BigInt(r.event_ns[i]!)),
      timeUnixNano: r.event_ns[i]!,
      attributes: typedAttributes(r.event_attributes[i] ?? {}, r.event_types[i] ?? {}),
    })),
    links: r.link_trace_ids.map((traceId, i) => ({
      traceId,
      spanId: r.link_span_ids[i]!,
      traceState: r.link_states[i]!,
      flags: Number(r.link_flags[i]),
      attributes: typedAttributes(r.link_attributes[i] ?? {}, r.link_types[i] ?? {}),
    })),
    droppedAttributesCount: Number(r.DroppedAttributesCount),
    droppedEventsCount: Number(r.DroppedEventsCount),
    droppedLinksCount: Number(r.DroppedLinksCount),
    jobId: orNull(r.job_id),
    jobVersion: orNull(r.job_version),
    jobType: orNull(r.job_type),
    spanType: orNull(r.span_type),
    genAi: {
      operation: orNull(r.gen_ai_operation),
      provider: orNull(r.gen_ai_provider),
      requestModel: orNull(r.gen_ai_request_model),
      responseModel: orNull(r.gen_ai_response_model),
      inputTokens: Number(r.gen_ai_input_tokens),
      outputTokens: Number(r.gen_ai_output_tokens),
      cacheReadTokens: Number(r.gen_ai_cache_read_tokens),
      cacheWriteTokens: Number(r.gen_ai_cache_write_tokens),
      reasoningTokens: Number(r.gen_ai_reasoning_tokens),
      costUsd: r.gen_ai_cost_usd,
      costSource: orNull(r.gen_ai_cost_source),
      priceId: orNull(r.gen_ai_price_id),
      inputText: r.gen_ai_input_text,
      outputText: r.gen_ai_output_text,
    },
    sessionId: orNull(r.session_id),
    userId: orNull(r.user_id),
  };
}

/** A part of a trace: at most `limit` spans after `after` in (start, span id) order. */
export interface TraceSpanPage {
  limit: number;
  after?: { startNs: string; spanId: string } | undefined;
}

// The SELECT list of readSpanRecords, in SpanRecord's names and in the order of the columns of
// each JSONCompactEachRow row: rows as arrays are ~half the bytes of JSONEachRow objects for the
// engine to write and for JSON.parse to read (10 000 LLM spans: 9.4 against 18.9 MB).
export const spanRecordColumns: ReadonlyArray<readonly [keyof SpanRecord, string]> = [
  ['TraceId', 'TraceId'],
  ['SpanId', 'SpanId'],
  ['ParentSpanId', 'ParentSpanId'],
  ['TraceState', 'TraceState'],
  ['TraceFlags', 'TraceFlags'],
  ['SpanName', 'SpanName'],
  ['SpanKind', 'SpanKind'],
  ['ServiceName', 'ServiceName'],
  ['start_ns', 'toString(toUnixTimestamp64Nano(Timestamp))'],
  ['Duration', 'Duration'],
  ['ResourceAttributes', 'ResourceAttributes'],
  ['ResourceAttributeTypes', 'ResourceAttributeTypes'],
  ['ResourceSchemaUrl', 'ResourceSchemaUrl'],
  ['ScopeName', 'ScopeName'],
  ['ScopeVersion', 'ScopeVersion'],
  ['ScopeAttributes', 'ScopeAttributes'],
  ['ScopeAttributeTypes', 'ScopeAttributeTypes'],
  ['SpanAttributes', 'SpanAttributes'],
  ['SpanAttributeTypes', 'SpanAttributeTypes'],
  ['StatusCode', 'StatusCode'],
  ['StatusMessage', 'StatusMessage'],
  ['event_ns', 'arrayMap(t -> toString(toUnixTimestamp64Nano(t)), Events.Timestamp)'],
  ['event_names', 'Events.Name'],
  ['event_attributes', 'Events.Attributes'],
  ['event_types', 'Events.AttributeTypes'],
  ['link_trace_ids', 'Links.TraceId'],
  ['link_span_ids', 'Links.SpanId'],
  ['link_states', 'Links.TraceState'],
  ['link_flags', 'Links.Flags'],
  ['link_attributes', 'Links.Attributes'],
  ['link_types', 'Links.AttributeTypes'],
  ['DroppedAttributesCount', 'DroppedAttributesCount'],
  ['DroppedEventsCount', 'DroppedEventsCount'],
  ['DroppedLinksCount', 'DroppedLinksCount'],
  ['job_id', 'job_id'],
  ['job_version', 'job_version'],
  ['job_type', 'job_type'],
  ['span_type', 'span_type'],
  ['gen_ai_operation', 'gen_ai_operation'],
  ['gen_ai_provider', 'gen_ai_provider'],
  ['gen_ai_request_model', 'gen_ai_request_model'],
  ['gen_ai_response_model', 'gen_ai_response_model'],
  ['gen_ai_input_tokens', 'gen_ai_input_tokens'],
  ['gen_ai_output_tokens', 'gen_ai_output_tokens'],
  ['gen_ai_cache_read_tokens', 'gen_ai_cache_read_tokens'],
  ['gen_ai_cache_write_tokens', 'gen_ai_cache_write_tokens'],
  ['gen_ai_reasoning_tokens', 'gen_ai_reasoning_tokens'],
  ['gen_ai_cost_usd', 'gen_ai_cost_usd'],
  ['gen_ai_cost_source', 'gen_ai_cost_source'],
  ['gen_ai_price_id', 'gen_ai_price_id'],
  ['gen_ai_input_text', 'gen_ai_input_text'],
  ['gen_ai_output_text', 'gen_ai_output_text'],
  ['session_id', 'session_id'],
  ['user_id', 'user_id'],
];
const spanRecordSelect = spanRecordColumns.map(([name, expression]) => `${expression} AS ${name}`).join(', ');

/**
 * What one read of a part (or of one span) may hold in the engine, whatever the trace's size: a
 * part of 10 000 LLM spans sorts ~20 MB of rows; past this bound the read fails (a retryable
 * 503) instead of taking the memory inserts and merges need. Blocks of a granule (1 024 rows,
 * migration 8) keep each step's working set small. A whole-trace read (a resumed MLflow upload)
 * keeps the engine's own bound (`clickhouse.embedded.maxMemory`).
 */
export const traceReadSettings = 'max_memory_usage = 268435456, max_block_size = 1024';

/**
 * A JSONCompactEachRow row as a SpanRecord. An object literal of fixed keys (not keys set one by
 * one from the column list) has one shape for V8: building 10 000 records took 42 ms the other
 * way, and reading their fields in toStoredSpan was slower too. The indices are spanRecordColumns'
 * order (readTrace.test checks each key gets its column).
 */
export function spanRecordOf(row: readonly unknown[]): SpanRecord {
  const r = row as never[];
  const record = {
    TraceId: r[0],
    SpanId: r[1],
    ParentSpanId: r[2],
    TraceState: r[3],
    TraceFlags: r[4],
    SpanName: r[5],
    SpanKind: r[6],
    ServiceName: r[7],
    start_ns: r[8],
    Duration: r[9],
    ResourceAttributes: r[10],
    ResourceAttributeTypes: r[11],
    ResourceSchemaUrl: r[12],
    ScopeName: r[13],
    ScopeVersion: r[14],
    ScopeAttributes: r[15],
    ScopeAttributeTypes: r[16],
    SpanAttributes: r[17],
    SpanAttributeTypes: r[18],
    StatusCode: r[19],
    StatusMessage: r[20],
    event_ns: r[21],
    event_names: r[22],
    event_attributes: r[23],
    event_types: r[24],
    link_trace_ids: r[25],
    link_span_ids: r[26],
    link_states: r[27],
    link_flags: r[28],
    link_attributes: r[29],
    link_types: r[30],
    DroppedAttributesCount: r[31],
    DroppedEventsCount: r[32],
    DroppedLinksCount: r[33],
    job_id: r[34],
    job_version: r[35],
    job_type: r[36],
    span_type: r[37],
    gen_ai_operation: r[38],
    gen_ai_provider: r[39],
    gen_ai_request_model: r[40],
    gen_ai_response_model: r[41],
    gen_ai_input_tokens: r[42],
    gen_ai_output_tokens: r[43],
    gen_ai_cache_read_tokens: r[44],
    gen_ai_cache_write_tokens: r[45],
    gen_ai_reasoning_tokens: r[46],
    gen_ai_cost_usd: r[47],
    gen_ai_cost_source: r[48],
    gen_ai_price_id: r[49],
    gen_ai_input_text: r[50],
    gen_ai_output_text: r[51],
    session_id: r[52],
    user_id: r[53],
  };
  return record as unknown as SpanRecord;
}

/** JSONCompactEachRow text as rows of SpanRecord (one JSON.parse for the whole text). */
function spanRecordsOf(text: string): SpanRecord[] {
  const body = text.trimEnd();
  if (body === '') return [];
  const rows = JSON.parse(`[${body.replaceAll('\n', ',')}]`) as unknown[][];
  return rows.map(spanRecordOf);
}

/**
 * The query of readSpanRecords and readStoredSpans: the rows of one trace (or one span of it),
 * `select`ed, from the partitions its range (traceRangeSelect) names; with `page`, only that part's
 * rows, unsorted (the caller orders them and keeps one copy of a span stored twice).
 */
function traceRowsQuery(
  database: string,
  select: string,
  page: TraceSpanPage | undefined,
  spanId: string | undefined,
): string {
  const db = `\`${database}\``;
  const after = page?.after
    ? `AND (Timestamp, SpanId) > (fromUnixTimestamp64Nano({afterNs:Int64}, 'UTC'), {afterSpan:String})`
    : '';
  // A part's spans are found from two small columns first; only their rows are read whole
  // (the IN moves to PREWHERE), not every span of a huge trace with its texts.
  const part = page
    ? `AND (Timestamp, SpanId) IN (
        SELECT Timestamp, SpanId FROM ${db}.spans
        WHERE project_id = {projectId:String} AND TraceId = {traceId:String}
          AND Timestamp >= trace_range.1 AND Timestamp <= trace_range.2 ${after}
        ORDER BY Timestamp, SpanId LIMIT 1 BY SpanId LIMIT {limit:UInt32})`
    : '';
  // The trace's time range in one look-up (two scalar subqueries read the range table twice:
  // ~2 ms of a ~23 ms read at 10 M spans).
  return `
      WITH (${traceRangeSelect(db)}) AS trace_range
      SELECT ${select}
      FROM ${db}.spans
      WHERE project_id = {projectId:String} AND TraceId = {traceId:String}
        AND Timestamp >= trace_range.1 AND Timestamp <= trace_range.2 ${part}
        ${spanId === undefined ? '' : 'AND SpanId = {spanId:String}'}
      -- A span delivered twice (a sender's retry) is one span until the merge collapses it. A
      -- part's rows are the IN set's, so they are put in order and made one per span by the
      -- caller: sorting 10 000 wide rows cost the engine as much again as reading them.
      ${page ? '' : 'ORDER BY Timestamp, SpanId LIMIT 1 BY SpanId'}
      -- The engine compiles an aggregate to machine code the fourth time it sees it, inside that
      -- query: ~40 ms once, for min/max over the trace's few range rows.
      SETTINGS compile_aggregate_expressions = 0${page || spanId ? `, ${traceReadSettings}` : ''}`;
}

/** The query parameters of traceRowsQuery. */
function traceRowsParams(projectId: string, traceId: string, page?: TraceSpanPage, spanId?: string) {
  return {
    projectId,
    traceId,
    ...(spanId === undefined ? {} : { spanId }),
    ...(page ? { limit: page.limit } : {}),
    ...(page?.after ? { afterNs: page.after.startNs, afterSpan: page.after.spanId } : {}),
  };
}

/**
 * The `spans` rows of one trace in a project, oldest first, each span once; none when the trace
 * is unknown. The trace's time range comes from `traceRangeSelect`, so only the partitions holding it
 * are read. With `page`, only that part: a trace of 100 000 spans is read a bounded part at a time.
 * @example const records = await readSpanRecords(store, 'default', traceId);
 */
export async function readSpanRecords(
  store: ClickHouseStore,
  projectId: string,
  traceId: string,
  page?: TraceSpanPage,
  /** Only this span of the trace. */
  spanId?: string,
): Promise<SpanRecord[]> {
  const result = await store.client.query({
    query: traceRowsQuery(store.database, spanRecordSelect, page, spanId),
    query_params: traceRowsParams(projectId, traceId, page, spanId),
    format: 'JSONCompactEachRow',
  });
  const records = spanRecordsOf(await result.text());
  return page ? inSpanOrder(records) : records;
}

/**
 * The spans of one trace in a project as StoredSpans, oldest first, each span once (the part
 * `page` asks for; only `spanId` when given), without the GenAI text of their log records. Read
 * as RowBinary and parsed straight into spans (storedSpanRowBinary.ts): the same spans as
 * readSpanRecords' JSON gives, for about half the CPU (docs/benchmarks.md, "Huge traces").
 * @example const part = await readStoredSpans(store, 'default', traceId, { limit: 1000 });
 */
export async function readStoredSpans(
  store: ClickHouseStore,
  projectId: string,
  traceId: string,
  page?: TraceSpanPage,
  spanId?: string,
): Promise<StoredSpan[]> {
  const result = await store.client.exec({
    query: `${traceRowsQuery(store.database, storedSpanSelect, page, spanId)}
      FORMAT RowBinaryWithNamesAndTypes`,
    query_params: traceRowsParams(projectId, traceId, page, spanId),
  });
  const spans = storedSpansOf(await streamBytes(result.stream));
  return page ? inStartOrder(spans) : spans;
}

/** A stream's bytes as one buffer (the embedded engine's answer is one chunk already). */
async function streamBytes(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/**
 * Orders by start, then span id. Start times as decimal text compare as numbers once their
 * lengths are equal (no sign: Unix ns ≥ 0).
 */
function byStartThenSpan(aStart: string, aSpan: string, bStart: string, bSpan: string): number {
  return (
    aStart.length - bStart.length ||
    (aStart < bStart ? -1 : aStart > bStart ? 1 : aSpan < bSpan ? -1 : aSpan > bSpan ? 1 : 0)
  );
}

/** Spans in (start, span id) order, each once (the first copy of a span stored twice). */
function inStartOrder(spans: StoredSpan[]): StoredSpan[] {
  spans.sort((a, b) => byStartThenSpan(a.startTimeUnixNano, a.spanId, b.startTimeUnixNano, b.spanId));
  return spans.filter((s, i) => i === 0 || s.spanId !== spans[i - 1]!.spanId);
}

/** Records in (start, span id) order, each span once (the first copy of a span stored twice). */
function inSpanOrder(records: SpanRecord[]): SpanRecord[] {
  records.sort((a, b) => byStartThenSpan(a.start_ns, a.SpanId, b.start_ns, b.SpanId));
  return records.filter((r, i) => i === 0 || r.SpanId !== records[i - 1]!.SpanId);
}

/**
 * The spans of one trace in a project as stored, oldest first, without the GenAI text of their
 * log records (readTrace joins it); needs only the spans table.
 * @example const spans = await readTraceSpans(store, 'default', '5b8efff798038103d269b633813fc60c');
 */
export async function readTraceSpans(
  store: ClickHouseStore,
  projectId: string,
  traceId: string,
): Promise<StoredSpan[]> {
  return (await readSpanRecords(store, projectId, traceId)).map(toStoredSpan);
}

/**
 * The spans of one trace in a project, oldest first (or the part `page` asks for); an empty list
 * when the trace is unknown.
 * @example const spans = await readTrace(store, 'default', '5b8efff798038103d269b633813fc60c');
 */
export async function readTrace(
  store: ClickHouseStore,
  projectId: string,
  traceId: string,
  page?: TraceSpanPage,
): Promise<StoredSpan[]> {
  // A part reads the GenAI event records and evaluation results of its own spans only: a huge
  // trace's are read a bounded part at a time too. A whole trace reads all three at once.
  type Read = [StoredSpan[], GenAiEventRecord[], Map<string, GenAiScore[]>];
  const [spans, events, scores]: Read = page
    ? await readStoredSpans(store, projectId, traceId, page).then(async (part): Promise<Read> => {
        if (part.length === 0) return [part, [], new Map()];
        const spanIds = part.map((s) => s.spanId);
        const [partEvents, partScores] = await Promise.all([
          readGenAiEvents(store, projectId, [traceId], spanIds),
          readTraceScores(store, projectId, traceId, spanIds),
        ]);
        return [part, partEvents, partScores];
      })
    : await Promise.all([
        readStoredSpans(store, projectId, traceId),
        readGenAiEvents(store, projectId, [traceId]),
        readTraceScores(store, projectId, traceId),
      ]);
  return withScoresAndEventText(spans, events, scores);
}

/**
 * One span of a trace in a project, with the GenAI text of its log records as readTrace gives
 * it; undefined when unknown. For a page that shows a trace's outline and the span picked.
 * @example const span = await readTraceSpan(store, 'default', traceId, '00f067aa0ba902b7');
 */
export async function readTraceSpan(
  store: ClickHouseStore,
  projectId: string,
  traceId: string,
  spanId: string,
): Promise<StoredSpan | undefined> {
  const [spans, events, scores] = await Promise.all([
    readStoredSpans(store, projectId, traceId, undefined, spanId),
    readGenAiEvents(store, projectId, [traceId], [spanId]),
    readTraceScores(store, projectId, traceId, [spanId]),
  ]);
  return withScoresAndEventText(spans, events, scores)[0];
}

/**
 * Puts on each span its evaluation results (gen_ai.evaluation.result, as log records or span
 * events), and the GenAI content sent as log records (EVENT_ONLY capture) where the span itself
 * carried no text, whichever of the two arrived first.
 */
function withScoresAndEventText(
  spans: StoredSpan[],
  events: GenAiEventRecord[],
  scores: Map<string, GenAiScore[]>,
): StoredSpan[] {
  for (const span of spans) {
    const own = scores.get(span.spanId);
    if (own) span.scores = own;
  }
  if (events.length === 0) return spans;
  const texts = genAiEventText(events);
  for (const span of spans) {
    const text = texts.get(span.spanId);
    if (!text) continue;
    if (!span.genAi.inputText) span.genAi.inputText = text.input;
    if (!span.genAi.outputText) span.genAi.outputText = text.output;
  }
  return spans;
}

/**
 * The GenAI event records of some traces in otel_logs, oldest first (the trace id's bloom filter
 * index keeps this to the granules holding them).
 * @example const events = await readGenAiEvents(store, 'default', [traceId]);
 */
export async function readGenAiEvents(
  store: ClickHouseStore,
  projectId: string,
  traceIds: string[],
  spanIds?: string[],
): Promise<GenAiEventRecord[]> {
  const result = await store.client.query({
    query: `
      SELECT SpanId, EventName, Body, LogAttributes
      FROM \`${store.database}\`.otel_logs
      WHERE project_id = {projectId:String} AND TraceId IN {traceIds:Array(String)} AND SpanId != ''
        AND EventName IN {events:Array(String)} ${spanIds ? 'AND SpanId IN {spanIds:Array(String)}' : ''}
      ORDER BY Timestamp`,
    query_params: { projectId, traceIds, events: genAiTextEvents, ...(spanIds ? { spanIds } : {}) },
    format: 'JSONEachRow',
  });
  return result.json<GenAiEventRecord>();
}
