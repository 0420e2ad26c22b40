import type { MetricDimension, MetricsRow } from './apiTypes.ts';

/** A row of `GET /v1/metrics` grouped by one dimension, with a step (the fields charted). */
export type GroupedMetricsRow = Pick<
  MetricsRow,
  'group' | 'time' | 'count' | 'errorCount' | 'inputTokens' | 'outputTokens' | 'costUsd'
>;

export interface MetricSeries {
  /** Bucket starts, Unix seconds, ascending. */
  times: number[];
  /** One line per group value, biggest total first; 0 where a bucket had no spans of it. */
  lines: Array<{ group: string; values: number[]; total: number }>;
}

/**
 * Every bucket start (Unix seconds) of a window at a step, aligned as ClickHouse's
 * toStartOfInterval aligns them (multiples of the step since the epoch): a chart spans the whole
 * window, with buckets that had no spans too.
 * @example bucketTimes(Date.now() - 3_600_000, Date.now(), 60) // 60 or 61 minute starts
 */
export function bucketTimes(fromMs: number, toMs: number, stepSeconds: number): number[] {
  const times: number[] = [];
  const first = Math.floor(fromMs / 1000 / stepSeconds) * stepSeconds;
  for (let t = first; t * 1000 < toMs; t += stepSeconds) times.push(t);
  return times;
}

/**
 * Pivots metrics rows (one per bucket and group) into one line per group value over the
 * buckets (and every one of `buckets`, see bucketTimes), for a chart; `pick` chooses the measure.
 * @example metricSeries(rows, 'model', (r) => r.costUsd)
 */
export function metricSeries(
  rows: GroupedMetricsRow[],
  dimension: MetricDimension,
  pick: (row: GroupedMetricsRow) => number,
  buckets?: number[],
): MetricSeries {
  const times = [...new Set([...(buckets ?? []), ...rows.map((r) => Date.parse(r.time ?? '') / 1000)])].sort(
    (a, b) => a - b,
  );
  const slot = new Map(times.map((t, i) => [t, i]));
  const byGroup = new Map<string, number[]>();
  for (const row of rows) {
    const group = row.group[dimension] ?? '';
    const values = byGroup.get(group) ?? times.map(() => 0);
    byGroup.set(group, values);
    values[slot.get(Date.parse(row.time ?? '') / 1000)!]! += pick(row);
  }
  const lines = [...byGroup].map(([group, values]) => ({
    group,
    values,
    total: values.reduce((a, b) => a + b, 0),
  }));
  return { times, lines: lines.sort((a, b) => b.total - a.total || (a.group < b.group ? -1 : 1)) };
}
