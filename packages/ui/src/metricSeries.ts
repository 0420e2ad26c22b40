/** A row of `GET /v1/metrics` grouped by one dimension, with a step. */
export interface GroupedMetricsRow {
  group: Record<string, string>;
  time?: string;
  count: number;
  errorCount: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

export interface MetricSeries {
  /** Bucket starts, Unix seconds, ascending. */
  times: number[];
  /** One line per group value, biggest total first; 0 where a bucket had no spans of it. */
  lines: Array<{ group: string; values: number[]; total: number }>;
}

/**
 * Pivots metrics rows (one per bucket and group) into one line per group value over the
 * buckets, for a chart; `pick` chooses the measure.
 * @example metricSeries(rows, 'model', (r) => r.costUsd)
 */
export function metricSeries(
  rows: GroupedMetricsRow[],
  dimension: string,
  pick: (row: GroupedMetricsRow) => number,
): MetricSeries {
  const times = [...new Set(rows.map((r) => Date.parse(r.time ?? '') / 1000))].sort((a, b) => a - b);
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
