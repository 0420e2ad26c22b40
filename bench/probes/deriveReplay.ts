// Whether the derived tables filled later, from a Null copy of spans (bench/src/deferredViews.ts),
// hold what per-INSERT views give for the same spans, and whether a derive replayed with the same
// `insert_deduplication_token` (a crash between the derive and forgetting its payloads) counts
// each span once (issue 21 item 2, branch `deferviews`). Store A: INSERTS INSERTs into spans with
// its views. Store B: the same INSERTs into spans without views, their payloads kept as files in
// one directory, then one derive of them all (`file()` over a glob of the directory) into
// spans_derive, the same derive again with the same token, then once with a new token (that one
// must double the counts: the check can fail). Prints the derived tables' sums after each step.
// INSERTS=8 node bench/probes/deriveReplay.ts
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import {
  type ClickHouseStore,
  insertRowBinary,
  migrate,
  migrations,
  openStore,
  spanRowBinary,
  spanRowBinaryColumns,
} from '@llmp/clickhouse';
import { genAiOf } from '@llmp/genai';
import { tempDir } from '../../test/support/tempDir.ts';
import { deferViews } from '../src/deferredViews.ts';
import { smallSpanBatches } from '../src/smallSpanBatches.ts';

const inserts = Number(process.env.INSERTS ?? 8);
const size = 2048;
const batches = await smallSpanBatches(inserts * size, 512);
const bodies: Uint8Array[] = [];
for (let i = 0; i + 4 <= batches.length; i += 4)
  bodies.push(
    Buffer.concat(
      batches.slice(i, i + 4).map((b) => spanRowBinary(b.projectId, b.request(), (s) => genAiOf(b, s)).bytes),
    ),
  );
const settings = (token: string) => ({
  deduplicate_blocks_in_dependent_materialized_views: 1,
  insert_deduplication_token: token,
  optimize_on_insert: 0,
  parallel_view_processing: 1,
});

/** The derived tables' totals: what reads sum over (rows per trace and INSERT are summed at read). */
async function sums(store: ClickHouseStore): Promise<Record<string, number>> {
  const result = await store.client.query({
    query: `SELECT
      (SELECT sum(spans) FROM llmp.trace_search) AS search_spans,
      (SELECT uniqExact(TraceId) FROM llmp.trace_search) AS search_traces,
      (SELECT sum(errors) FROM llmp.trace_search) AS search_errors,
      (SELECT sum(spans) FROM llmp.trace_job_usage) AS usage_spans,
      (SELECT uniqExact(TraceId) FROM llmp.trace_job_usage) AS usage_traces,
      (SELECT sum(spans) FROM llmp.span_metrics_hourly) AS rollup_spans,
      (SELECT count() FROM llmp.trace_jobs) AS trace_jobs,
      (SELECT count() FROM llmp.genai_scores) AS genai_scores,
      (SELECT count() FROM llmp.spans) AS spans`,
    format: 'JSONEachRow',
  });
  const [row] = await result.json<Record<string, string>>();
  return Object.fromEntries(Object.entries(row!).map(([k, v]) => [k, Number(v)]));
}

async function withStore<T>(run: (store: ClickHouseStore, dir: string) => Promise<T>): Promise<T> {
  const dir = tempDir('probe-derive-replay');
  const store = await openStore({ dataDir: `${dir.path}/data` });
  try {
    // The schema before migration 31 (views on spans), which the probe compares with its deferral.
    await migrate(
      store,
      migrations.filter((m) => m.version < 31),
    );
    return await run(store, dir.path);
  } finally {
    await store.close();
    dir.remove();
  }
}

const perInsert = await withStore(async (store) => {
  for (const [i, bytes] of bodies.entries())
    await insertRowBinary(store, {
      table: 'llmp.spans',
      columns: spanRowBinaryColumns,
      bytes,
      settings: settings(`replay-${i}`),
    });
  return sums(store);
});
console.log(JSON.stringify({ step: 'per INSERT (views on spans)', ...perInsert }));

await withStore(async (store, dir) => {
  console.log(JSON.stringify({ step: 'views moved', views: await deferViews(store) }));
  const pending = `${dir}/derive-${randomUUID()}`;
  mkdirSync(pending);
  for (const [i, bytes] of bodies.entries()) {
    await insertRowBinary(store, {
      table: 'llmp.spans',
      columns: spanRowBinaryColumns,
      bytes,
      settings: settings(`replay-${i}`),
    });
    writeFileSync(`${pending}/${String(i).padStart(6, '0')}.rowbinary`, bytes);
  }
  console.log(JSON.stringify({ step: 'spans only, not derived', ...(await sums(store)) }));
  const names = spanRowBinaryColumns.map(([name]) => `\`${name}\``);
  const derive = (token: string) =>
    store.client.command({
      query: `INSERT INTO llmp.spans_derive (${names.join(', ')}) SELECT * FROM file({path:String}, 'RowBinary', {structure:String})`,
      query_params: {
        path: `${pending}/*.rowbinary`,
        structure: spanRowBinaryColumns.map(([, type], i) => `${names[i]} ${type}`).join(', '),
      },
      clickhouse_settings: settings(token),
    });
  const token = `derive-${randomUUID()}`;
  await derive(token);
  const once = await sums(store);
  console.log(JSON.stringify({ step: 'derived once', ...once }));
  await derive(token);
  const replayed = await sums(store);
  console.log(JSON.stringify({ step: 'derive replayed, same token', ...replayed }));
  await derive(`derive-${randomUUID()}`);
  const twice = await sums(store);
  console.log(JSON.stringify({ step: 'derived again, new token', ...twice }));
  const same = (a: Record<string, number>, b: Record<string, number>) =>
    Object.keys(a).every((k) => a[k] === b[k]);
  console.log(
    JSON.stringify({
      derivedEqualsPerInsert: same(once, perInsert),
      replayCountsOnce: same(replayed, perInsert),
      newTokenDoubles: twice.search_spans === 2 * perInsert.search_spans!,
    }),
  );
});
