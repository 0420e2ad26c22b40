import { type ClickHouseStore, isoFromNanos } from '@llmp/clickhouse';
import type { Page } from '../service/jobSchema.ts';
import { newestFirstPage } from './newestFirstPage.ts';
import type { JobResult, PageRequest } from './storeResult.ts';

export interface JobLogEntry {
  time: string;
  timeUnixNano: string;
  /**
   * job_event (create, update, status change), exception, span_event, or log_record (an OTLP log
   * record of a linked trace or naming the job; its body, when it has one, as attribute `body`).
   */
  source: 'job_event' | 'exception' | 'span_event' | 'log_record';
  name: string;
  traceId: string | null;
  spanId: string | null;
  /** The event's attributes (span events) or changed fields (job events). */
  attributes: Record<string, unknown>;
}

interface Row {
  ts: string;
  k: string;
  source: JobLogEntry['source'];
  name: string;
  trace_id: string;
  span_id: string;
  body: string;
}

/**
 * What happened in a job, newest first: its own events, the span events and exceptions of the
 * traces linked to it, and the OTLP log records of those traces or naming the job (llmp.job.id).
 * @example const page = await jobLogs(store, 'default', 'summarise', { limit: 50 });
 */
export async function jobLogs(
  store: ClickHouseStore,
  projectId: string,
  jobId: string,
  page: PageRequest,
): Promise<JobResult<Page<JobLogEntry>>> {
  const db = `\`${store.database}\``;
  const linked = `SELECT TraceId FROM ${db}.trace_jobs WHERE project_id = {projectId:String} AND job_id = {jobId:String}`;
  // k orders entries of the same nanosecond, so a page boundary never splits or repeats them.
  const query = `
    SELECT toString(ns) AS ts, k, source, name, trace_id, span_id, body FROM (
      SELECT toUnixTimestamp64Nano(toDateTime64(time, 9)) AS ns, concat('0', toString(seq)) AS k,
        'job_event' AS source, toString(kind) AS name, '' AS trace_id, '' AS span_id, changes AS body
      FROM ${db}.job_events WHERE project_id = {projectId:String} AND job_id = {jobId:String}
      UNION ALL
      SELECT toUnixTimestamp64Nano(e.1) AS ns, concat('1', SpanId, toString(e.4)) AS k,
        if(e.2 = 'exception', 'exception', 'span_event') AS source, toString(e.2) AS name,
        TraceId AS trace_id, SpanId AS span_id, toJSONString(e.3) AS body
      FROM ${db}.spans
      ARRAY JOIN arrayZip(Events.Timestamp, Events.Name, Events.Attributes, arrayEnumerate(Events.Name)) AS e
      WHERE project_id = {projectId:String} AND TraceId IN (${linked})
      UNION ALL
      SELECT toUnixTimestamp64Nano(Timestamp) AS ns,
        concat('2', toString(cityHash64(TraceId, SpanId, EventName, Body, toString(LogAttributes)))) AS k,
        'log_record' AS source, if(EventName != '', EventName, toString(SeverityText)) AS name,
        TraceId AS trace_id, SpanId AS span_id,
        toJSONString(if(Body = '', LogAttributes,
          mapUpdate(LogAttributes, CAST(map('body', Body), 'Map(LowCardinality(String), String)')))) AS body
      FROM ${db}.otel_logs
      WHERE project_id = {projectId:String} AND (job_id = {jobId:String} OR TraceId IN (${linked}))
    )
    WHERE {hasCursor:UInt8} = 0 OR ns < {cursorTs:UInt64} OR (ns = {cursorTs:UInt64} AND k < {cursorK:String})
    ORDER BY ns DESC, k DESC
    LIMIT {limit:UInt32}`;
  return newestFirstPage(store, {
    query,
    params: { projectId, jobId },
    page,
    action: 'job logs query',
    item: (r: Row): JobLogEntry => ({
      time: isoFromNanos(BigInt(r.ts)),
      timeUnixNano: r.ts,
      source: r.source,
      name: r.name,
      traceId: r.trace_id || null,
      spanId: r.span_id || null,
      attributes: JSON.parse(r.body || '{}'),
    }),
  });
}
