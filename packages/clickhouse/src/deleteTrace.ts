import type { ClickHouseStore } from './clickhouseStore.ts';
import { rollupEndNs, rollupStartNs } from './migrations.ts';
import { localName, targetParts } from './renderSchemaStep.ts';

/**
 * Removes a trace from the store: a lightweight DELETE on `spans`, the trace lookup, the
 * trace's job links, its summary, log records and evaluation scores, after marking its hours stale in the metrics rollup; values passed as query
 * parameters only. Resolves with the number of spans it had (0: none).
 * @example if ((await deleteTrace(store, 'default', traceId)) === 0) return notFound();
 */
export async function deleteTrace(
  store: ClickHouseStore,
  projectId: string,
  traceId: string,
): Promise<number> {
  const { client, database } = store;
  const query_params = { projectId, traceId: traceId.toLowerCase() };
  const where = 'project_id = {projectId:String} AND TraceId = {traceId:String}';
  const found = await client.query({
    query: `SELECT count() AS n FROM \`${database}\`.spans WHERE ${where}`,
    query_params,
    format: 'JSONEachRow',
  });
  const spans = Number((await found.json<{ n: string }>())[0]?.n ?? 0);
  // The hourly metrics rollup cannot take a trace's spans back out (a quantile state does not
  // subtract): its hours are marked first, and metrics read them from spans from then on.
  await client.command({
    query: `INSERT INTO \`${database}\`.span_metrics_stale_hours (project_id, bucket)
      SELECT DISTINCT project_id, toStartOfHour(Timestamp) FROM \`${database}\`.spans
      WHERE ${where} AND Timestamp >= fromUnixTimestamp64Nano(${rollupStartNs}, 'UTC')
        AND Timestamp < fromUnixTimestamp64Nano(${rollupEndNs}, 'UTC')`,
    query_params,
  });
  // A Distributed table takes no DELETE: on a cluster the local tables are deleted from, on every shard.
  const { db, onCluster } = targetParts({ database, cluster: store.cluster });
  // Its log records and evaluation scores go with it (migrations 12 and 14).
  const tables = [
    'spans',
    'trace_id_ts',
    'trace_jobs',
    'trace_summary',
    'trace_job_usage',
    'otel_logs',
    'genai_scores',
    'trace_search',
  ];
  for (const table of tables) {
    await client.command({
      query: `DELETE FROM ${db}.${store.cluster ? localName(table) : table}${onCluster} WHERE ${where}`,
      query_params,
      // Answer only once the rows are gone from every replica, so a read that follows agrees.
      clickhouse_settings: { lightweight_deletes_sync: '2' },
    });
  }
  return spans;
}
