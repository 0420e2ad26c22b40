/**
 * The scalar subquery giving a trace's time range `(first span start, last span end)` in a
 * project, so a read of its spans touches only the partitions and granules holding it. It reads
 * `trace_job_usage` (migration 11, back-filled from every span then), whose key starts with
 * (project_id, TraceId) like `trace_id_ts`'s: since migration 22 an insert no longer writes a
 * `trace_id_ts` part as well. The end is a span's end, at or after its start: the range holds
 * every span of the trace. Binds `{projectId:String}` and `{traceId:String}`.
 * @example `WITH (${traceRangeSelect('`llmp`')}) AS trace_range SELECT … WHERE Timestamp >= trace_range.1 AND Timestamp <= trace_range.2`
 */
export function traceRangeSelect(db: string): string {
  return `SELECT (min(start), fromUnixTimestamp64Nano(max(end_ns), 'UTC')) FROM ${db}.trace_job_usage
        WHERE project_id = {projectId:String} AND TraceId = {traceId:String}`;
}
