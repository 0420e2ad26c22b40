import { z } from 'zod';
import type { ClickHouseStore } from './clickhouseStore.ts';
import { localName, targetParts } from './renderSchemaStep.ts';

const period = /^\s*(\d+)\s*([hdw])\s*$/i;

/** A retention period: `30d`, `12h`, `2w`; 0 (or absent) keeps rows forever. */
const retentionPeriod = z
  .union([
    z.literal(0),
    z.string().regex(/^\s*(0|\d+\s*[hdwHDW])\s*$/, 'use e.g. 30d, 12h, 2w, or 0 for forever'),
  ])
  .default(0);

const volumeName = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/**
 * The `clickhouse.retention` config section: how long each signal's rows stay, as a TTL on
 * its tables, and optionally after how long they move to a cold volume of the tables'
 * storage policy.
 */
export const retentionConfig = z
  .object({
    /** spans and the trace-id lookup trace_id_ts. */
    spans: retentionPeriod,
    /** Per-trace rows: trace_summary (job metrics), trace_search (trace search), trace_jobs (trace → job links) and genai_scores (evaluation results). */
    traces: retentionPeriod,
    /** The hourly metrics rollup span_metrics_hourly and its span_metrics_stale_hours. */
    rollups: retentionPeriod,
    /** The OTLP metric data points: otel_metrics_sum, _gauge, _histogram, _exponential_histogram, _summary. */
    metrics: retentionPeriod,
    /** mlflow_sync, each trace's MLflow upload/delete state. */
    mlflowSync: retentionPeriod,
    /** Rows older than `after` move to `volume` (`TTL … TO VOLUME`); needs `storagePolicy`. */
    cold: z
      .object({
        volume: z.string().regex(volumeName, 'must be a volume name of the storage policy'),
        after: z.string().regex(period, 'use e.g. 7d'),
      })
      .optional(),
    /** A storage policy of the server (with the cold volume) set on the tables with a TTL. */
    storagePolicy: z.string().regex(volumeName, 'must be a storage policy name').optional(),
  })
  .prefault({});

export type RetentionConfig = z.input<typeof retentionConfig>;
type Signal = 'spans' | 'traces' | 'rollups' | 'metrics' | 'mlflowSync';

/** Which tables each signal's retention applies to, and the time each row is aged by. */
export const retentionTables: ReadonlyArray<{
  table: string;
  signal: Signal;
  alsoSignal?: Signal;
  time: string;
}> = [
  { table: 'spans', signal: 'spans', time: 'toDateTime(Timestamp)' },
  // Log records go with the spans they describe.
  { table: 'otel_logs', signal: 'spans', time: 'toDateTime(Timestamp)' },
  { table: 'trace_id_ts', signal: 'spans', time: 'toDateTime(Start)' },
  { table: 'trace_summary', signal: 'traces', time: 'toDateTime(start)' },
  // Also the trace id → time range look-up of trace reads since migration 22 (traceRange.ts):
  // kept as long as the longer of the two, so a stored span stays readable by its trace id.
  { table: 'trace_job_usage', signal: 'traces', alsoSignal: 'spans', time: 'toDateTime(start)' },
  { table: 'trace_search', signal: 'traces', time: 'toDateTime(start)' },
  { table: 'trace_jobs', signal: 'traces', time: 'toDateTime(Start)' },
  // Evaluation results (migration 14) are per-trace rows as well.
  { table: 'genai_scores', signal: 'traces', time: 'toDateTime(Timestamp)' },
  { table: 'span_metrics_hourly', signal: 'rollups', time: 'bucket' },
  { table: 'span_metrics_stale_hours', signal: 'rollups', time: 'bucket' },
  ...[
    'otel_metrics_sum',
    'otel_metrics_gauge',
    'otel_metrics_histogram',
    'otel_metrics_exponential_histogram',
    'otel_metrics_summary',
  ].map((table) => ({ table, signal: 'metrics' as const, time: 'toDateTime(TimeUnix)' })),
  { table: 'mlflow_sync', signal: 'mlflowSync', time: 'toDateTime(updated_at)' },
];

/** A period as ClickHouse prints an interval (so a TTL read back compares equal); undefined = forever. */
function interval(value: string | number | undefined): string | undefined {
  if (value === undefined || value === 0) return undefined;
  const match = period.exec(String(value));
  if (!match) return undefined;
  const amount = Number(match[1]);
  if (amount === 0) return undefined;
  const unit = match[2]!.toLowerCase();
  return unit === 'h' ? `toIntervalHour(${amount})` : `toIntervalDay(${unit === 'w' ? amount * 7 : amount})`;
}

/** Hours of a period; forever (0, absent) is Infinity. */
function hours(value: string | number | undefined): number {
  const match = period.exec(String(value ?? 0));
  if (!match || Number(match[1]) === 0) return Number.POSITIVE_INFINITY;
  const unit = match[2]!.toLowerCase();
  return Number(match[1]) * (unit === 'h' ? 1 : unit === 'd' ? 24 : 24 * 7);
}

/** The longer of two retention periods (the first when there is no second). */
function longer(a: string | number, b: string | number | undefined): string | number {
  if (b === undefined) return a;
  return hours(b) > hours(a) ? b : a;
}

/**
 * The TTL expression a table gets from the config, in ClickHouse's own spelling; undefined
 * when its rows are kept forever and nothing moves to a cold volume.
 * @example ttlExpression('spans', retentionConfig.parse({ spans: '30d' })) // 'toDateTime(Timestamp) + toIntervalDay(30)'
 */
export function ttlExpression(table: string, config: z.output<typeof retentionConfig>): string | undefined {
  const entry = retentionTables.find((t) => t.table === table);
  if (!entry) return undefined;
  const parts: string[] = [];
  const cold = config.cold ? interval(config.cold.after) : undefined;
  if (config.cold && cold) parts.push(`${entry.time} + ${cold} TO VOLUME '${config.cold.volume}'`);
  const keep = interval(
    longer(config[entry.signal], entry.alsoSignal ? config[entry.alsoSignal] : undefined),
  );
  if (keep) parts.push(`${entry.time} + ${keep}`);
  return parts.length > 0 ? parts.join(', ') : undefined;
}

/** The TTL clause of a table's `engine_full` as system.tables shows it ('' when none). */
export function currentTtl(engineFull: string): string {
  return / TTL (.*?)(?: SETTINGS |$)/.exec(engineFull)?.[1]?.trim() ?? '';
}

/**
 * The statements that bring each table's TTL (and storage policy) to the config: ALTER …
 * MODIFY TTL where it differs from what system.tables shows, REMOVE TTL where the config keeps
 * rows forever. No rebuild: the table keeps its data, merges apply the new TTL.
 * @example for (const sql of await retentionStatements(store, config)) await store.client.command({ query: sql });
 */
export async function retentionStatements(
  store: ClickHouseStore,
  config: z.output<typeof retentionConfig>,
): Promise<string[]> {
  const { db, onCluster } = targetParts({ database: store.database, cluster: store.cluster });
  const stored = (table: string) => (store.cluster ? localName(table) : table);
  const result = await store.client.query({
    query: 'SELECT name, engine_full, storage_policy FROM system.tables WHERE database = {db:String}',
    query_params: { db: store.database },
    format: 'JSONEachRow',
  });
  const tables = new Map(
    (await result.json<{ name: string; engine_full: string; storage_policy: string }>()).map((t) => [
      t.name,
      t,
    ]),
  );
  const statements: string[] = [];
  for (const { table } of retentionTables) {
    const found = tables.get(stored(table));
    if (!found) continue;
    const wanted = ttlExpression(table, config);
    const name = `${db}.${stored(table)}${onCluster}`;
    if (config.storagePolicy && found.storage_policy !== config.storagePolicy)
      statements.push(`ALTER TABLE ${name} MODIFY SETTING storage_policy = '${config.storagePolicy}'`);
    const current = currentTtl(found.engine_full);
    if (wanted === undefined) {
      if (current !== '') statements.push(`ALTER TABLE ${name} REMOVE TTL`);
    } else if (current !== wanted) {
      statements.push(`ALTER TABLE ${name} MODIFY TTL ${wanted}`);
    }
  }
  return statements;
}

/**
 * Applies the retention config to the store's tables; returns the statements it ran.
 * @example await applyRetention(store, retentionConfig.parse({ spans: '30d' }));
 */
export async function applyRetention(
  store: ClickHouseStore,
  config: z.output<typeof retentionConfig>,
): Promise<string[]> {
  const statements = await retentionStatements(store, config);
  // Not materialized at once: MODIFY TTL would otherwise rewrite every part of the table as a
  // mutation before it answers (a start would wait on it); merges apply the new TTL
  // (OPTIMIZE TABLE … FINAL, or ALTER TABLE … MATERIALIZE TTL, does it at once).
  for (const query of statements)
    await store.client.command({ query, clickhouse_settings: { materialize_ttl_after_modify: 0 } });
  return statements;
}
