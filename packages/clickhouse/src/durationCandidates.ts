import type { PageRequest } from './searchTraces.ts';
import type { QueryParams } from './spanFilter.ts';

/** How long a trace_search row's spans last: from its first span's start to its last span's end. */
const rowDuration = '(end_ns - toUnixTimestamp64Nano(start))';

/**
 * A condition on trace_search rows that keeps every row of the traces that can be on a page
 * sorted by duration, and few others, so the page's GROUP BY TraceId reads only those rather
 * than every trace of the range (the slow-errors search grouped ~190 k traces at 10 M spans:
 * docs/benchmarks.md, "Trace search at 10 M spans").
 *
 * A trace's duration spans all its rows (one per insert holding its spans), so a row's own
 * duration only bounds it from below. First, the `wanted` traces of the longest (shortest,
 * ascending) matching rows are summarised exactly: the last of them in page order gives a
 * duration the page's traces reach (at least that long, descending; at most, ascending). The
 * candidates are then the traces of matching rows at least (at most) that long, and,
 * descending, every trace with more than one row at least that long, the only ones whose
 * duration can exceed every row's. Those are found by grouping the project's rows on a 64-bit hash of the trace id: a collision
 * only adds candidates, which the page's exact grouping then sorts out. When fewer than
 * `wanted` traces qualify in the first step, every matching row is a candidate: the answer is
 * the same, only slower.
 * @example where.push(durationCandidates({ db: '`llmp`', project, matching, having, page, wanted: 51, params }));
 */
export function durationCandidates({
  db,
  project,
  matching,
  having,
  page,
  wanted,
  params,
}: {
  db: string;
  /** The bound project parameter. */
  project: string;
  /** Rows surely holding a matching span (the page's traces are those having one). */
  matching: string;
  /** The page's conditions on a trace's `dur_ns`, `start_ns` and `TraceId` (bounds, cursor). */
  having: string[];
  page: PageRequest;
  /** Traces the page asks for (its limit and one more). */
  wanted: number;
  params: QueryParams;
}): string {
  const desc = page.order === 'desc';
  const direction = desc ? 'DESC' : 'ASC';
  // Rows that could be the one row of a trace on the page: a single-row trace lasts as long as its row.
  const rowBounds: string[] = [];
  if (page.after)
    rowBounds.push(`${rowDuration} ${desc ? '<=' : '>='} ${params.bind('Int64', page.after.value)}`);
  const longest = `SELECT TraceId FROM ${db}.trace_search
      WHERE ${[matching, ...rowBounds].join(' AND ')}
      ORDER BY ${rowDuration} ${direction} LIMIT ${params.bind('UInt32', 4 * wanted)}`;
  const reached = `SELECT toNullable(dur_ns) FROM (
      SELECT TraceId, toUnixTimestamp64Nano(min(start)) AS start_ns, max(end_ns) - start_ns AS dur_ns
      FROM ${db}.trace_search
      WHERE project_id = ${project} AND TraceId IN (${longest})
      GROUP BY TraceId
      HAVING ${[`countIf(${matching}) > 0`, ...having].join(' AND ')}
      ORDER BY dur_ns ${direction}, TraceId ${direction}
      LIMIT 1 OFFSET ${params.bind('UInt32', wanted - 1)})`;
  const threshold = `ifNull((${reached}), ${desc ? '-9223372036854775808' : '9223372036854775807'})`;
  const op = desc ? '>=' : '<=';
  const rowsReaching = `SELECT cityHash64(TraceId) FROM ${db}.trace_search WHERE ${matching} AND ${rowDuration} ${op} ${threshold}`;
  // Ascending, a trace at most that long has every row at most that long, its matching one
  // among them. Descending, a trace of several rows may be longer than each: a hash group's
  // extent covers each of its traces', so one at least that long lies in a group that is.
  if (!desc) return `cityHash64(TraceId) IN (${rowsReaching})`;
  return `cityHash64(TraceId) IN (
      ${rowsReaching}
      UNION ALL
      SELECT h FROM (
        SELECT cityHash64(TraceId) AS h FROM ${db}.trace_search WHERE project_id = ${project}
        GROUP BY h HAVING count() > 1 AND max(end_ns) - toUnixTimestamp64Nano(min(start)) >= ${threshold}))`;
}
