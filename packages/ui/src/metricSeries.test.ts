import { describe, expect, it } from 'vitest';
import { type GroupedMetricsRow, metricSeries } from './metricSeries.ts';

const row = (time: string, model: string, costUsd: number): GroupedMetricsRow => ({
  group: { model },
  time,
  count: 1,
  errorCount: 0,
  inputTokens: 10,
  outputTokens: 5,
  costUsd,
});

describe('metricSeries', () => {
  it('gives one line per group over every bucket, 0 where the group had none, biggest first', () => {
    const series = metricSeries(
      [
        row('2026-01-01T10:00:00Z', 'gpt-4o', 0.5),
        row('2026-01-01T10:00:00Z', 'claude', 0.1),
        row('2026-01-01T11:00:00Z', 'claude', 0.2),
      ],
      'model',
      (r) => r.costUsd,
    );
    const t = Date.parse('2026-01-01T10:00:00Z') / 1000;
    expect(series.times).toEqual([t, t + 3600]);
    expect(series.lines.map((l) => [l.group, l.values])).toEqual([
      ['gpt-4o', [0.5, 0]],
      ['claude', [0.1, 0.2]],
    ]);
  });
});
