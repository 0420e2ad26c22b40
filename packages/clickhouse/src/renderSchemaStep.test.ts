import { describe, expect, it } from 'vitest';
import { renderMigrations } from './migrate.ts';
import { migrationLockDdl } from './migrationLock.ts';
import { migrations } from './migrations.ts';
import { renderBookkeepingTable, renderSchemaStep } from './renderSchemaStep.ts';
import type { CreateTableStep } from './schemaStep.ts';

const cluster = { database: 'llmp', cluster: 'prod-eu' };
const single = { database: 'llmp' };
const flat = (s: string) => s.replace(/\s+/g, ' ');
const allCluster = renderMigrations(migrations, cluster).flatMap((m) =>
  m.statements.map((sql) => ({ version: m.version, sql: flat(sql) })),
);
const allSingle = renderMigrations(migrations, single).flatMap((m) => m.statements.map(flat));
const tables = migrations.flatMap((m) =>
  m.steps.filter((s): s is CreateTableStep => s.kind === 'createTable'),
);

describe('cluster DDL from the migration definitions', () => {
  it('renders every migration for the cluster, each DDL statement ON CLUSTER', () => {
    // Save those of the embedded store alone (below).
    expect(new Set(allCluster.map((s) => s.version))).toEqual(
      new Set(migrations.filter((m) => m.only !== 'embedded').map((m) => m.version)),
    );
    for (const { sql } of allCluster) {
      if (sql.startsWith('INSERT')) continue; // a back-fill goes through the Distributed table, once
      expect(sql, sql.slice(0, 120)).toContain(" ON CLUSTER 'prod-eu'");
    }
  });

  it('stores every table in a replicated <name>_local with the {uuid}/{shard} path and {replica}', () => {
    expect(tables.length).toBeGreaterThanOrEqual(10);
    for (const table of tables) {
      const create = allCluster.find((s) =>
        s.sql.startsWith(`CREATE TABLE IF NOT EXISTS \`llmp\`.${table.table}_local `),
      );
      expect(create, table.table).toBeDefined();
      const args = table.engine.args ? `, ${table.engine.args}` : '';
      expect(create?.sql).toContain(
        `ENGINE = Replicated${table.engine.name}('/clickhouse/tables/{uuid}/{shard}', '{replica}'${args})`,
      );
      // The single-node form of the same definition: the plain engine, no cluster.
      const plain = allSingle.find((s) =>
        s.startsWith(`CREATE TABLE IF NOT EXISTS \`llmp\`.${table.table} (`),
      );
      expect(plain).toContain(
        `ENGINE = ${table.engine.name}${table.engine.args ? `(${table.engine.args})` : ''} `,
      );
      if (table.deduplicated) {
        expect(create?.sql).toContain('replicated_deduplication_window = 10000');
        expect(create?.sql).not.toContain('non_replicated_deduplication_window');
        expect(plain).toContain('non_replicated_deduplication_window = 10000');
      }
    }
  });

  it('reads and writes every table through a Distributed <name> over <name>_local with a deterministic key', () => {
    for (const table of tables) {
      const distributed = allCluster.find((s) =>
        s.sql.startsWith(`CREATE TABLE IF NOT EXISTS \`llmp\`.${table.table} ON CLUSTER`),
      );
      expect(distributed?.sql, table.table).toContain(
        `AS \`llmp\`.${table.table}_local ENGINE = Distributed('prod-eu', 'llmp', '${table.table}_local', ${table.shardBy})`,
      );
      // A retried insert must split the same way for each shard's token to recognise it.
      expect(table.shardBy).not.toMatch(/rand/i);
    }
    // The rows of one trace stay on one shard, where FINAL collapses them and views summarise them.
    for (const name of [
      'spans',
      'trace_id_ts',
      'trace_jobs',
      'trace_summary',
      'trace_job_usage',
      'trace_search',
      'mlflow_sync',
      'genai_scores',
    ])
      expect(tables.find((t) => t.table === name)?.shardBy).toBe('cityHash64(TraceId)');
  });

  it('makes every materialized view read and write the local replicated tables', () => {
    const views = allCluster.filter((s) => s.sql.startsWith('CREATE MATERIALIZED VIEW'));
    // Six over spans (migrations 1, 3, 6, 11, 15), two filling genai_scores (migration 14).
    expect(views.length).toBe(8);
    const replicatedLocal = new Set(
      allCluster
        .filter((s) => /CREATE TABLE IF NOT EXISTS `llmp`\.\w+_local .*ENGINE = Replicated/.test(s.sql))
        .map((s) => /`llmp`\.(\w+_local)/.exec(s.sql)?.[1]),
    );
    for (const { sql } of views) {
      const to = / TO `llmp`\.(\w+) AS /.exec(sql)?.[1];
      expect(replicatedLocal.has(to), sql.slice(0, 120)).toBe(true);
      expect(sql).toMatch(/FROM `llmp`\.(spans|otel_logs)_local\b/);
    }
    expect(views.filter((v) => v.sql.includes('FROM `llmp`.otel_logs_local'))).toHaveLength(1);
  });

  it('adds columns to the local table and to the Distributed one, alters indexes and settings on the local one', () => {
    const v2 = allCluster.filter((s) => s.version === 2).map((s) => s.sql);
    expect(v2[0]).toMatch(
      /^ALTER TABLE `llmp`\.spans_local ON CLUSTER 'prod-eu' ADD COLUMN .*CODEC\(ZSTD\(3\)\)/,
    );
    expect(v2[1]).toMatch(
      /^ALTER TABLE `llmp`\.spans ON CLUSTER 'prod-eu' ADD COLUMN IF NOT EXISTS gen_ai_input_text String,/,
    );
    expect(v2[1]).not.toContain('CODEC');
    for (const sql of allCluster.filter((s) => [7, 9, 10, 29].includes(s.version)).map((s) => s.sql))
      expect(sql).toMatch(/^ALTER TABLE `llmp`\.\w+_local ON CLUSTER 'prod-eu' MODIFY SETTING /);
  });

  it('drops a view on every node of a cluster, and on a single server', () => {
    const step = { kind: 'dropView', view: 'trace_summary_mv' } as const;
    expect(renderSchemaStep(step, { database: 'llmp', cluster: 'prod-eu' })).toEqual([
      "DROP VIEW IF EXISTS `llmp`.trace_summary_mv ON CLUSTER 'prod-eu'",
    ]);
    expect(renderSchemaStep(step, { database: 'llmp' })).toEqual([
      'DROP VIEW IF EXISTS `llmp`.trace_summary_mv',
    ]);
  });

  it('rebuilds spans as a replicated table under a path of its own', () => {
    const v8 = allCluster.filter((s) => s.version === 8).map((s) => s.sql);
    expect(v8[1]).toMatch(
      /^CREATE TABLE `llmp`\.spans_rebuild_local ON CLUSTER 'prod-eu' AS `llmp`\.spans_local ENGINE = ReplicatedReplacingMergeTree\('\/clickhouse\/tables\/\{uuid\}\/\{shard\}', '\{replica\}'\)/,
    );
    expect(v8[3]).toBe(
      "EXCHANGE TABLES `llmp`.spans_local AND `llmp`.spans_rebuild_local ON CLUSTER 'prod-eu'",
    );
  });

  it('keeps the single-node statements free of cluster terms', () => {
    for (const sql of allSingle) expect(sql).not.toMatch(/Replicated|Distributed|ON CLUSTER|_local/);
  });

  it('keeps schema_migrations and the lock whole on every node of a cluster', () => {
    const ddl = flat(migrationLockDdl(cluster));
    expect(ddl).toContain(" ON CLUSTER 'prod-eu'");
    expect(ddl).toContain(
      "ReplicatedReplacingMergeTree('/clickhouse/tables/{uuid}/all', '{shard}-{replica}')",
    );
    expect(ddl).toContain('replicated_deduplication_window = 10000');
    expect(flat(renderBookkeepingTable('schema_migrations', 'version UInt32', 'version', single))).toBe(
      'CREATE TABLE IF NOT EXISTS `llmp`.schema_migrations (version UInt32) ENGINE = ReplacingMergeTree ORDER BY version',
    );
  });

  it('refuses a cluster or table name that is not a plain name', () => {
    const step = tables[0] as CreateTableStep;
    expect(() => renderSchemaStep(step, { database: 'llmp', cluster: "x' OR 1" })).toThrow(TypeError);
    expect(() => renderSchemaStep(step, { database: 'll-mp' })).toThrow(TypeError);
    expect(() => renderSchemaStep({ ...step, table: 'spans; DROP' }, single)).toThrow(TypeError);
  });
});

describe('embedded-only migrations', () => {
  const embedded = { database: 'llmp', embedded: true };
  const derive = migrations.find((m) => m.version === 31)!;

  it('renders migration 31 for the embedded store alone; a server or cluster keeps its views on spans', () => {
    expect(derive.only).toBe('embedded');
    for (const target of [single, cluster])
      expect(renderMigrations(migrations, target).find((m) => m.version === 31)?.statements).toEqual([]);
    for (const sql of [...allSingle, ...allCluster.map((s) => s.sql)])
      expect(sql).not.toContain('spans_derive');
    // Every other migration renders for the embedded store as for a single server.
    const allEmbedded = renderMigrations(migrations, embedded);
    expect(allEmbedded.filter((m) => m.version !== 31).flatMap((m) => m.statements.map(flat))).toEqual(
      allSingle,
    );
  });

  it('moves the five views of spans onto the Null table spans_derive on the embedded store', () => {
    const statements = renderMigrations([derive], embedded)[0]!.statements.map(flat);
    expect(statements[0]).toBe(
      'CREATE TABLE IF NOT EXISTS `llmp`.spans_derive AS `llmp`.spans ENGINE = Null',
    );
    const views = [
      'trace_jobs_mv',
      'span_metrics_hourly_mv',
      'trace_job_usage_mv',
      'trace_search_mv',
      'genai_scores_spans_mv',
    ];
    expect(statements.filter((s) => s.startsWith('DROP VIEW')).map((s) => s.split('.')[1])).toEqual(views);
    const created = statements.filter((s) => s.startsWith('CREATE MATERIALIZED VIEW'));
    expect(created.map((s) => /`llmp`\.(\w+) TO/.exec(s)?.[1])).toEqual(views);
    for (const sql of created) {
      expect(sql).toMatch(/FROM `llmp`\.spans_derive\b/);
      expect(sql).not.toMatch(/`llmp`\.spans\b(?!_)/);
    }
    // The same SELECTs as the views they replace, on spans_derive instead of spans.
    const before = allSingle.filter((s) =>
      views.some((v) => s.startsWith(`CREATE MATERIALIZED VIEW IF NOT EXISTS \`llmp\`.${v} `)),
    );
    expect(before).toHaveLength(5);
    expect(created.map((s) => s.replaceAll('`llmp`.spans_derive', '`llmp`.spans')).sort()).toEqual(
      before.sort(),
    );
  });
});
