import { describe, expect, it } from 'vitest';
import { bucketTimes, type GroupedMetricsRow, metricSeries } from './metricSeries.ts';

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

  it('fills the buckets of the whole window, aligned to the step', () => {
    const from = Date.parse('2026-01-01T10:30:00Z');
    const hours = bucketTimes(from, from + 3 * 3600_000, 3600);
    expect(hours.map((t) => new Date(t * 1000).toISOString())).toEqual([
      '2026-01-01T10:00:00.000Z',
      '2026-01-01T11:00:00.000Z',
      '2026-01-01T12:00:00.000Z',
      '2026-01-01T13:00:00.000Z',
    ]);
    const series = metricSeries([row('2026-01-01T11:00:00Z', 'gpt-4o', 1)], 'model', (r) => r.costUsd, hours);
    expect(series.lines[0]!.values).toEqual([0, 1, 0, 0]);
  });
});
