import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError } from './apiClient.ts';
import { useApi } from './apiContext.ts';
import type { MetricDimension } from './apiTypes.ts';
import { chartWindows as windows } from './chartWindows.ts';
import { formatCost } from './format.ts';
import { GroupAndRangeFilters } from './GroupAndRangeFilters.tsx';
import { bucketTimes, type GroupedMetricsRow, metricSeries } from './metricSeries.ts';
import { navigate } from './router.tsx';
import { TimeChart } from './TimeChart.tsx';

const dimensions = ['model', 'provider', 'job', 'service'] as const satisfies readonly MetricDimension[];
const palette = ['#3366cc', '#dc3912', '#ff9900', '#109618', '#990099', '#0099c6', '#dd4477', '#66aa00'];
// More lines than this make a chart unreadable: the rest are summed as "other".
const maxLines = 8;

interface Totals {
  group: string;
  spans: number;
  errors: number;
  input: number;
  output: number;
  cost: number;
}

/**
 * Cost and token dashboards: per model, provider, job or service (kept in the URL), charted
 * over time and totalled, from `GET /v1/metrics`.
 * @example <MetricsPage search="?by=provider&range=7d" /> (at /dashboards: /metrics is Prometheus)
 */
export function MetricsPage({ search }: { search: string }) {
  const { client, askForKey, keyVersion } = useApi();
  const params = new URLSearchParams(search);
  const asked = dimensions.find((d) => d === params.get('by'));
  const by: (typeof dimensions)[number] = asked ?? 'model';
  const range = (params.get('range') ?? '') in windows ? params.get('range')! : '24h';
  const [rows, setRows] = useState<GroupedMetricsRow[]>([]);
  const [buckets, setBuckets] = useState<number[]>([]);
  const [truncated, setTruncated] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);

  useEffect(() => {
    const controller = new AbortController();
    const { seconds, step, stepSeconds } = windows[range]!;
    const now = Date.now();
    const q = new URLSearchParams({
      groupBy: by,
      step,
      from: new Date(now - seconds * 1000).toISOString(),
      to: new Date(now).toISOString(),
      limit: '10000',
    });
    setLoading(true);
    client.get<{ rows: GroupedMetricsRow[]; truncated: boolean }>(`/v1/metrics?${q}`, controller.signal).then(
      (body) => {
        setBuckets(bucketTimes(now - seconds * 1000, now, stepSeconds));
        setRows(body.rows);
        setTruncated(body.truncated);
        setError(null);
        setLoading(false);
      },
      (e: Error) => {
        if (e.name === 'AbortError') return;
        if (e instanceof ApiError && e.kind === 'unauthorized') askForKey();
        setError(e.message);
        setLoading(false);
      },
    );
    return () => controller.abort();
  }, [by, range, keyVersion]);

  const view = useMemo(() => {
    const chart = (pick: (r: GroupedMetricsRow) => number) => {
      const { times, lines } = metricSeries(rows, by, pick, buckets);
      const shown = lines.slice(0, maxLines);
      const rest = lines.slice(maxLines);
      if (rest.length > 0)
        shown.push({
          group: `${rest.length} other`,
          values: times.map((_, i) => rest.reduce((sum, l) => sum + l.values[i]!, 0)),
          total: 0,
        });
      return {
        times,
        series: shown.map((l, i) => ({
          label: l.group || '(none)',
          values: l.values,
          color: palette[i % palette.length]!,
        })),
      };
    };
    const totals = new Map<string, Totals>();
    for (const r of rows) {
      const group = r.group[by] ?? '';
      const t = totals.get(group) ?? { group, spans: 0, errors: 0, input: 0, output: 0, cost: 0 };
      t.spans += r.count;
      t.errors += r.errorCount;
      t.input += r.inputTokens;
      t.output += r.outputTokens;
      t.cost += r.costUsd;
      totals.set(group, t);
    }
    return {
      cost: chart((r) => r.costUsd),
      tokens: chart((r) => r.inputTokens + r.outputTokens),
      totals: [...totals.values()].sort((a, b) => b.cost - a.cost || b.spans - a.spans),
    };
  }, [rows, by, buckets]);

  const go = (change: Record<string, string>) =>
    navigate(`/dashboards?${new URLSearchParams({ by, range, ...change })}`);
  return (
    <main class="page metrics">
      <GroupAndRangeFilters
        label="By"
        by={by}
        groups={dimensions}
        range={range}
        ranges={Object.keys(windows)}
        go={go}
      />
      <div class="list-bar">
        {loading && <span class="muted">loading…</span>}
        {error && <span class="error">{error}</span>}
        {truncated && <span class="error">more groups than shown: narrow the time range</span>}
      </div>
      {rows.length > 0 && (
        <div class="charts">
          <TimeChart title={`Cost (USD) by ${by}`} times={view.cost.times} series={view.cost.series} />
          <TimeChart title={`Tokens by ${by}`} times={view.tokens.times} series={view.tokens.series} />
        </div>
      )}
      <table id="metrics-table" class="jobs-table">
        <thead>
          <tr>
            <th>{by}</th>
            <th class="num">Spans</th>
            <th class="num">Errors</th>
            <th class="num">Tokens in / out</th>
            <th class="num">Cost</th>
          </tr>
        </thead>
        <tbody>
          {view.totals.map((t) => (
            <tr key={t.group} class="metric-row">
              <td>{t.group || '(none)'}</td>
              <td class="num">{t.spans}</td>
              <td class="num">{t.errors}</td>
              <td class="num">
                {t.input} / {t.output}
              </td>
              <td class="num">{formatCost(t.cost)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {!loading && rows.length === 0 && !error && <p class="muted">No spans in this window.</p>}
    </main>
  );
}
