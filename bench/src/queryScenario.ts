import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ClickHouseStore, migrate, openStore } from '@llmp/clickhouse';
import { startLlmp } from '../../test/support/llmpProcess.ts';
import { tempDir } from '../../test/support/tempDir.ts';
import { peakRssMiB } from './processStats.ts';
import { median, quantiles } from './quantiles.ts';

const services = [
  'checkout-bot',
  'support-bot',
  'search-api',
  'summariser',
  'router',
  'rag-indexer',
  'eval-runner',
  'agent-gw',
];
const spanNames = [
  'invoke_agent',
  'chat gpt-4o',
  'chat claude-sonnet-4',
  'embeddings',
  'execute_tool search',
  'retrieve',
  'rerank',
  'chain step',
];
const models = ['gpt-4o', 'gpt-4o-mini', 'claude-sonnet-4', 'gemini-2.5-flash', ''];

/**
 * Fills an embedded store with `rows` synthetic spans (8 spans per trace, over 7 days), inside
 * the engine: no row passes through JavaScript; the metrics rollup fills from them through its
 * materialized view. Then merges every table, as a store that has been running is.
 */
async function fill(
  dataDir: string,
  rows: number,
  jobSpans: JobSpans,
): Promise<{
  seconds: number;
  optimizeSeconds: number;
  migrateSeconds: number;
  rollupRows: number;
  traceIds: string[];
  newestMs: number;
}> {
  // A kept store (BENCH_QUERY_STORE) that already holds `rows` spans is reused as it is, after
  // the migrations the code has gained since it was filled.
  const filledMark = join(dataDir, 'bench-rows');
  const mark = jobSpans === 'all' ? String(rows) : `${rows} ${jobSpans}`;
  const reused = existsSync(filledMark) && readFileSync(filledMark, 'utf8').trim() === mark;
  const store = await openStore({ dataDir });
  try {
    const tm = performance.now();
    await migrate(store);
    if (reused) {
      return {
        seconds: 0,
        optimizeSeconds: 0,
        migrateSeconds: (performance.now() - tm) / 1000,
        rollupRows: await rollupCount(store),
        traceIds: await sampleTraceIds(store),
        newestMs: await newestSpanMs(store),
      };
    }
    const t0 = performance.now();
    await store.client.command({
      query: `
        INSERT INTO llmp.spans (project_id, Timestamp, TraceId, SpanId, ParentSpanId, SpanName, SpanKind, ServiceName,
          ResourceAttributes, SpanAttributes, Duration, StatusCode, job_id, job_version, span_type,
          gen_ai_provider, gen_ai_request_model, gen_ai_input_tokens, gen_ai_output_tokens)
        SELECT
          'default',
          now64(9) - toIntervalSecond(intDiv(number, 8) % 604800) + toIntervalMillisecond(number % 8 * 37),
          lower(hex(MD5(toString(intDiv(number, 8))))),
          substring(lower(hex(MD5(toString(number)))), 1, 16),
          if(number % 8 = 0, '', substring(lower(hex(MD5(toString(number - number % 8)))), 1, 16)),
          {spanNames:Array(String)}[number % 8 + 1],
          if(number % 8 = 0, 'Server', 'Internal'),
          {services:Array(String)}[intDiv(number, 8) % 8 + 1],
          map('service.name', {services:Array(String)}[intDiv(number, 8) % 8 + 1], 'deployment.environment', 'bench'),
          map('gen_ai.request.model', {models:Array(String)}[number % 5 + 1], 'step', toString(number % 8)),
          (cityHash64(number) % 3000000000) + 1000000,
          if(cityHash64(number, 1) % 50 = 0, 'Error', 'Unset'),
          if({rootOnly:UInt8} = 1 AND number % 8 != 0, '', concat('job-', toString(intDiv(number, 8) % 50))),
          if({rootOnly:UInt8} = 1 AND number % 8 != 0, '', toString(intDiv(number, 8) % 3 + 1)),
          if(number % 8 IN (1, 2), 'llm', 'other'),
          if(number % 8 IN (1, 2), 'openai', ''),
          {models:Array(String)}[number % 5 + 1],
          if(number % 8 IN (1, 2), cityHash64(number, 2) % 4000, 0),
          if(number % 8 IN (1, 2), cityHash64(number, 3) % 800, 0)
        FROM numbers({rows:UInt64})`,
      query_params: { rows, services, spanNames, models, rootOnly: jobSpans === 'root' ? 1 : 0 },
      clickhouse_settings: { max_insert_threads: '2' },
    });
    // The derived tables (trace_search, the rollup …) filled from what was stored, as the
    // exporter's INSERTs into spans_derive fill them on the embedded store (migration 31).
    await store.client.command({
      query: 'INSERT INTO llmp.spans_derive SELECT * FROM llmp.spans',
      clickhouse_settings: { max_insert_threads: '2' },
    });
    const seconds = (performance.now() - t0) / 1000;
    // A store that has been running is merged: one part per partition, not the dozens an
    // in-engine fill leaves, which FINAL and the trace-id bloom filter both pay for per part.
    const t1 = performance.now();
    for (const table of [
      'spans',
      'trace_id_ts',
      'trace_job_usage',
      'trace_jobs',
      'span_metrics_hourly',
      'trace_search',
    ]) {
      await store.client.command({ query: `OPTIMIZE TABLE llmp.${table} FINAL` });
    }
    const optimizeSeconds = (performance.now() - t1) / 1000;
    // The 50 jobs the spans name, so GET /v1/jobs/{id}/metrics answers (the linker would have
    // registered them as discovered).
    await store.client.command({
      query: `
        INSERT INTO llmp.jobs (project_id, id, version, job_type, name, discovered, created_at, updated_at)
        SELECT 'default', concat('job-', toString(number)), 1, 'llm_task', concat('job-', toString(number)), true,
          now64(3), now64(3)
        FROM numbers(50)`,
    });
    writeFileSync(filledMark, `${mark}\n`);
    return {
      seconds,
      optimizeSeconds,
      migrateSeconds: 0,
      rollupRows: await rollupCount(store),
      traceIds: await sampleTraceIds(store),
      newestMs: await newestSpanMs(store),
    };
  } finally {
    await store.close();
  }
}

/** When the newest span of the store starts, ms since the epoch (the fill's now, for a kept store long past). */
async function newestSpanMs(store: ClickHouseStore): Promise<number> {
  const result = await store.client.query({
    query: 'SELECT toUnixTimestamp64Milli(max(last)) AS ms FROM llmp.trace_search',
    format: 'JSONEachRow',
  });
  return Number((await result.json<{ ms: string }>())[0]?.ms ?? Date.now());
}

async function rollupCount(store: ClickHouseStore): Promise<number> {
  const result = await store.client.query({
    query: 'SELECT count() AS n FROM llmp.span_metrics_hourly',
    format: 'JSONEachRow',
  });
  return Number((await result.json<{ n: string }>())[0]?.n ?? 0);
}

/**
 * 330 trace ids spread over the store, the same ones on every run over the same store: 300 timed,
 * 30 read first to warm the process up.
 */
async function sampleTraceIds(store: ClickHouseStore): Promise<string[]> {
  const sample = await store.client.query({
    query:
      'SELECT DISTINCT TraceId FROM llmp.spans WHERE project_id = {p:String} ORDER BY cityHash64(TraceId) LIMIT 330',
    query_params: { p: 'default' },
    format: 'JSONEachRow',
  });
  return (await sample.json<{ TraceId: string }>()).map((r) => r.TraceId);
}

/**
 * A copy of the store at `from` in `to` for the baseline, made once per filled store (the
 * copy carries the fill's mark); both stores are closed while it is made.
 */
function copyStore(from: string, to: string): void {
  const mark = (dir: string) =>
    existsSync(join(dir, 'bench-rows')) ? readFileSync(join(dir, 'bench-rows'), 'utf8') : '';
  if (mark(to) !== '' && mark(to) === mark(from)) return;
  rmSync(to, { recursive: true, force: true });
  cpSync(from, to, { recursive: true });
}

/** Whether two answers hold the same JSON (keys in any order). */
function sameAnswer(a: unknown, b: unknown): boolean {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.entries(v)
              .filter(([, x]) => x !== undefined)
              .sort(([x], [y]) => (x < y ? -1 : 1))
              .map(([k, x]) => [k, canonical(x)]),
          )
        : v;
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/**
 * Which spans name their job: all of them, or (`root`, as most instrumented apps do) only the
 * root, the rest belonging to it through trace_jobs.
 */
export type JobSpans = 'all' | 'root';

/** query: trace by id (and the other read routes when present) on a store of `rows` spans. */
export async function queryScenario({
  rows,
  keptStore,
  jobSpans = 'all',
  rounds = 20,
  baselineRoot,
  only,
}: {
  rows: number;
  /** How many times each read route is timed (interleaved). */
  rounds?: number;
  keptStore?: string | undefined;
  jobSpans?: JobSpans;
  /**
   * A checkout whose `llmp query` answers every read as well, on a copy of the same store,
   * interleaved A B A B; each pair of answers is compared.
   */
  baselineRoot?: string | undefined;
  /** The read routes to time (names as in the report); all when undefined. */
  only?: string[] | undefined;
}) {
  const dir = keptStore ? { path: keptStore, remove: () => {} } : tempDir('bench-query');
  mkdirSync(dir.path, { recursive: true });
  const dataDir = `${dir.path}/data`;
  try {
    const filled = await fill(dataDir, rows, jobSpans);
    const baselineDir = `${dir.path}/baseline-data`;
    if (baselineRoot) copyStore(dataDir, baselineDir);
    const llmp = await startLlmp({ dataDir, command: 'query' });
    const baseline = baselineRoot
      ? await startLlmp({ dataDir: baselineDir, command: 'query', root: baselineRoot })
      : undefined;
    try {
      // The first reads after a start pay one-off costs (Node compiling the request path, the
      // engine loading what the first queries touch): timed apart, as a warm-up, on other traces.
      const warmUp: number[] = [];
      // Trace by id is timed unless BENCH_QUERY_ROUTES leaves it out (`traceById`).
      const byId = only && !only.includes('traceById') ? [] : filled.traceIds;
      for (const traceId of byId.slice(300)) {
        const t0 = performance.now();
        await (await llmp.api(`/v1/traces/${traceId}`)).json();
        warmUp.push(performance.now() - t0);
      }
      for (const traceId of baseline ? byId.slice(300) : []) {
        await (await baseline!.api(`/v1/traces/${traceId}`)).json();
      }
      const timings: number[] = [];
      const baselineTimings: number[] = [];
      let found = 0;
      let byIdDiffers = 0;
      for (const traceId of byId.slice(0, 300)) {
        const t0 = performance.now();
        const response = await llmp.api(`/v1/traces/${traceId}`);
        const body = (await response.json()) as { spans?: unknown[] };
        timings.push(performance.now() - t0);
        if (body.spans?.length === 8) found++;
        if (baseline) {
          const t1 = performance.now();
          const other = await (await baseline.api(`/v1/traces/${traceId}`)).json();
          baselineTimings.push(performance.now() - t1);
          if (!sameAnswer(body, other)) byIdDiffers++;
        }
      }
      // The read routes users call most, each timed over repeated requests on the same store.
      // Each /v1/metrics route runs twice: as asked (answered from the hourly rollup) and with
      // minDurationMs=0, a filter the rollup cannot answer, so the same aggregates come from
      // spans FINAL. Rounds interleave every route (A, B, A, B …) on this shared machine.
      const from = new Date(Date.now() - 8 * 86_400_000).toISOString();
      // Searches end just after the newest span, as on a store that is receiving: a kept store
      // filled hours ago would otherwise be searched back across hours without data.
      const to = new Date(filled.newestMs + 1000).toISOString();
      const range = `from=${from}&to=${to}`;
      const metrics: Record<string, (i: number) => string> = {
        metricsByModel: () => `/v1/metrics?from=${from}&groupBy=model`,
        metricsByServiceHourly: () => `/v1/metrics?from=${from}&groupBy=service,spanType&step=1h`,
        jobMetricsByVersion: (i) => `/v1/metrics?from=${from}&jobId=job-${i % 50}&groupBy=jobVersion`,
        metricsByJob: () => `/v1/metrics?from=${from}&groupBy=job`,
      };
      const routes: Record<string, (i: number) => string> = {
        searchByService: (i) => `/v1/traces?${range}&service=${services[i % services.length]}&limit=50`,
        searchByJob: (i) => `/v1/traces?${range}&jobId=job-${i % 50}&limit=50`,
        searchByModel: (i) => `/v1/traces?${range}&model=${models[i % (models.length - 1)]}&limit=50`,
        searchByAttribute: (i) => `/v1/traces?${range}&attr.step=${i % 8}&limit=50`,
        spansOfJob: (i) => `/v1/spans?${range}&jobId=job-${i % 50}&limit=50`,
        searchSlowErrors: () => `/v1/traces?${range}&status=error&minDurationMs=2000&sort=duration&limit=50`,
        ...metrics,
        ...Object.fromEntries(
          Object.entries(metrics).map(([name, path]) => [
            `${name}Raw`,
            (i: number) => `${path(i)}&minDurationMs=0`,
          ]),
        ),
        jobRunMetrics: (i) => `/v1/jobs/job-${i % 50}/metrics`,
      };
      for (const name of Object.keys(routes)) if (only && !only.includes(name)) delete routes[name];
      for (const name of Object.keys(metrics))
        if (!routes[name] || !routes[`${name}Raw`]) delete metrics[name];
      const times = new Map(Object.keys(routes).map((name) => [name, [] as number[]]));
      const baselineTimes = new Map(Object.keys(routes).map((name) => [name, [] as number[]]));
      const failures = new Map(Object.keys(routes).map((name) => [name, 0]));
      const differs = new Map(Object.keys(routes).map((name) => [name, 0]));
      const sources = new Map<string, Set<string>>();
      const ask = async (target: typeof llmp, path: string, into: number[]) => {
        const t0 = performance.now();
        const response = await target.api(path);
        const body = (await response.json()) as { source?: string };
        into.push(performance.now() - t0);
        return { status: response.status, body };
      };
      // One untimed request per route and process first, as trace by id has its warm-up.
      for (const path of Object.values(routes)) {
        await ask(llmp, path(rounds), []);
        if (baseline) await ask(baseline, path(rounds), []);
      }
      for (let i = 0; i < rounds; i++) {
        for (const [name, path] of Object.entries(routes)) {
          // A B in even rounds, B A in odd ones: neither side always reads after the other.
          const base =
            baseline && i % 2 === 1 ? await ask(baseline, path(i), baselineTimes.get(name)!) : undefined;
          const { status, body } = await ask(llmp, path(i), times.get(name)!);
          if (status !== 200) failures.set(name, failures.get(name)! + 1);
          if (body.source) sources.set(name, (sources.get(name) ?? new Set()).add(body.source));
          const other =
            base ?? (baseline ? await ask(baseline, path(i), baselineTimes.get(name)!) : undefined);
          // The rollup and spans sources may differ; the rows they answer may not. A cursor
          // holds the range, whose end (`to`, default now) differs between the two requests.
          const rows = (answer: object) => ({
            ...answer,
            source: undefined,
            next_cursor: undefined,
            nextCursor: undefined,
          });
          if (other && !sameAnswer(rows(body), rows(other.body))) differs.set(name, differs.get(name)! + 1);
        }
      }
      const reads: Record<string, unknown> = {};
      for (const [name, path] of Object.entries(routes)) {
        reads[name] = {
          path: path(0),
          failures: failures.get(name),
          ...(sources.has(name) ? { source: [...sources.get(name)!].join(',') } : {}),
          latencyMs: quantiles(times.get(name)!),
          ...(baseline
            ? {
                baselineMs: quantiles(baselineTimes.get(name)!),
                speedup: Math.round((median(baselineTimes.get(name)!) / median(times.get(name)!)) * 10) / 10,
                answersDiffer: differs.get(name),
              }
            : {}),
        };
      }
      // Median of spans FINAL over median of the rollup, per metrics route.
      const rollupSpeedup = Object.fromEntries(
        Object.keys(metrics).map((name) => [
          name,
          Math.round((median(times.get(`${name}Raw`)!) / median(times.get(name)!)) * 10) / 10,
        ]),
      );
      return {
        scenario: 'query',
        reads,
        // The query role's highest resident memory over every read above (VmHWM since its start).
        peakRssMiB: peakRssMiB(llmp.child.pid!),
        rollupSpeedup,
        command: `llmp query on a store of ${rows} spans (generated in-engine, job on ${jobSpans === 'root' ? 'root spans' : 'every span'})`,
        rows,
        fillSeconds: Math.round(filled.seconds * 10) / 10,
        optimizeSeconds: Math.round(filled.optimizeSeconds * 10) / 10,
        ...(filled.migrateSeconds ? { migrateSeconds: Math.round(filled.migrateSeconds * 10) / 10 } : {}),
        rollupRows: filled.rollupRows,
        traceById: {
          requests: timings.length,
          complete: found,
          latencyMs: quantiles(timings),
          // The first reads after the process is ready, before the timed ones.
          warmUpMs: warmUp.map((t) => Math.round(t * 10) / 10),
          ...(baseline ? { baselineMs: quantiles(baselineTimings), answersDiffer: byIdDiffers } : {}),
        },
        ...(baselineRoot ? { baseline: baselineRoot } : {}),
      };
    } finally {
      await llmp.stop('SIGTERM');
      await baseline?.stop('SIGTERM');
    }
  } finally {
    dir.remove();
  }
}
