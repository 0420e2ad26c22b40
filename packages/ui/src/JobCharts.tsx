import { useEffect, useMemo, useState } from 'preact/hooks';
import { useApi } from './apiContext.ts';
import type { JobMetrics, JobRunMetrics } from './apiTypes.ts';
import { chartWindows as windows } from './chartWindows.ts';
import { formatCost } from './format.ts';
import { bucketTimes } from './metricSeries.ts';
import { type ChartSeries, TimeChart } from './TimeChart.tsx';

type RunMetrics = JobRunMetrics;
type JobMetricsBody = JobMetrics;

const ms = (v: number | null) => (v === null ? '—' : `${v.toFixed(1)} ms`);
const rate = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)} %`);

function RunTable({ metrics }: { metrics: JobMetricsBody }) {
  const rows: Array<RunMetrics & { version: string }> = [
    ...(metrics.versions ?? []),
    { ...metrics, version: 'all' },
  ];
  return (
    <table id="job-run-metrics">
      <thead>
        <tr>
          <th>Version</th>
          <th class="num">Runs</th>
          <th class="num">Failed</th>
          <th class="num">p50</th>
          <th class="num">p95</th>
          <th class="num">p99</th>
          <th class="num">Tokens in / out</th>
          <th class="num">Cost</th>
          <th class="num">Validation pass rate</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.version}>
            <td>{r.version === 'all' ? 'all' : r.version === '' ? '(none)' : `v${r.version}`}</td>
            <td class="num">{r.runs}</td>
            <td class="num">{r.failed_runs}</td>
            <td class="num">{ms(r.latency_ms.p50)}</td>
            <td class="num">{ms(r.latency_ms.p95)}</td>
            <td class="num">{ms(r.latency_ms.p99)}</td>
            <td class="num">
              {r.tokens.input} / {r.tokens.output}
            </td>
            <td class="num">{formatCost(r.cost_usd)}</td>
            <td class="num">
              {rate(r.validation.pass_rate)} ({r.validation.passed}/{r.validation.checked})
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * A job's numbers over a window back from now: its runs per version (runs, failures, latency
 * percentiles, tokens, cost, validation pass rate) and the same per time bucket, charted.
 * @example <JobCharts jobId="summarise" refresh={0} />
 */
export function JobCharts({ jobId, refresh }: { jobId: string; refresh: number }) {
  const { client, keyVersion } = useApi();
  const [range, setRange] = useState('24h');
  const [metrics, setMetrics] = useState<JobMetricsBody | null>(null);
  const [buckets, setBuckets] = useState<number[]>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const controller = new AbortController();
    const { seconds, step, stepSeconds } = windows[range]!;
    const now = Date.now();
    const q = new URLSearchParams({
      by: 'version',
      step,
      from: new Date(now - seconds * 1000).toISOString(),
      to: new Date(now).toISOString(),
    });
    client.get<JobMetricsBody>(`/v1/jobs/${encodeURIComponent(jobId)}/metrics?${q}`, controller.signal).then(
      (m) => {
        setMetrics(m);
        setBuckets(bucketTimes(now - seconds * 1000, now, stepSeconds));
        setError(null);
      },
      (e: Error) => e.name !== 'AbortError' && setError(e.message),
    );
    return () => controller.abort();
  }, [jobId, range, keyVersion, refresh]);

  const rows = useMemo(() => metrics?.buckets ?? [], [metrics]);
  const charts = useMemo(() => {
    // Every bucket of the window: 0 runs where none started, no latency or rate point there.
    const byTime = new Map(rows.map((r) => [Date.parse(r.time) / 1000, r]));
    const times = [...new Set([...buckets, ...byTime.keys()])].sort((a, b) => a - b);
    const line = (
      label: string,
      color: string,
      pick: (r: RunMetrics) => number | null,
      empty: number | null = 0,
    ): ChartSeries => ({
      label,
      color,
      values: times.map((t) => {
        const row = byTime.get(t);
        return row ? pick(row) : empty;
      }),
    });
    return {
      times,
      runs: [line('runs', '#3366cc', (r) => r.runs), line('failed', '#cc3333', (r) => r.failed_runs)],
      latency: [
        line('p50 ms', '#3366cc', (r) => r.latency_ms.p50, null),
        line('p95 ms', '#ff9900', (r) => r.latency_ms.p95, null),
        line('p99 ms', '#cc3333', (r) => r.latency_ms.p99, null),
      ],
      tokens: [
        line('input', '#3366cc', (r) => r.tokens.input),
        line('output', '#109618', (r) => r.tokens.output),
      ],
      cost: [line('USD', '#990099', (r) => r.cost_usd ?? 0)],
      validation: [
        line(
          'pass %',
          '#109618',
          (r) => (r.validation.pass_rate === null ? null : r.validation.pass_rate * 100),
          null,
        ),
      ],
    };
  }, [rows, buckets]);

  return (
    <section class="job-metrics">
      <h3>Metrics</h3>
      {error && <p class="error">{error}</p>}
      <div class="list-bar">
        <label>
          Runs started in the last{' '}
          <select name="metrics-range" value={range} onChange={(e) => setRange(e.currentTarget.value)}>
            {Object.keys(windows).map((w) => (
              <option value={w}>{w}</option>
            ))}
          </select>
        </label>
        <span class="muted">
          {rows.length} of {charts.times.length} time buckets with runs
        </span>
      </div>
      {metrics && <RunTable metrics={metrics} />}
      {rows.length > 0 && (
        <div class="charts">
          <TimeChart title="Runs and failed runs" times={charts.times} series={charts.runs} />
          <TimeChart title="Run latency" times={charts.times} series={charts.latency} />
          <TimeChart title="Tokens" times={charts.times} series={charts.tokens} />
          <TimeChart title="Cost (USD)" times={charts.times} series={charts.cost} />
          <TimeChart title="Validation pass rate (%)" times={charts.times} series={charts.validation} />
        </div>
      )}
    </section>
  );
}
