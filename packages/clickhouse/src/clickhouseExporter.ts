import { randomUUID } from 'node:crypto';
import type { ClickHouseSettings } from '@clickhouse/client';
import { genAiOf, type Span, type TraceBatch } from '@llmp/otlp';
import { type Component, type ComponentSettings, type Consumer, exporterHelper } from '@llmp/pipeline';
import { classifyClickHouseError } from './classifyClickHouseError.ts';
import { type ClickHouseExporterConfig, clickhouseExporterConfig } from './clickhouseExporterConfig.ts';
import type { ClickHouseStore } from './clickhouseStore.ts';
import { insertRowBinary } from './insertRowBinary.ts';
import { payloadBuffers } from './payloadBuffers.ts';
import { spanRowBinary, spanRowBinaryColumns } from './spanRowBinary.ts';
import { spanRows } from './spanRows.ts';
import { type SpansDeriver, storeDeriver } from './spansDeriver.ts';

export { type ClickHouseExporterConfig, clickhouseExporterConfig };

/**
 * On the embedded engine, a part's skip indexes below this many bytes each go into one
 * `skp_idx.packed` file instead of two files per index (ClickHouse's MergeTree
 * `packed_skip_index_max_bytes`, 26.x). A span INSERT writes five parts (spans and the tables its
 * views fill), 85 files, 26 of them skip index files; every merge writes as many again. Creating
 * a file is the costliest kernel work of an INSERT (on ext4 without a journal it scans the inodes
 * freed in the last minutes: 9–60 ms of system CPU per INSERT of ~1 200 spans;
 * docs/benchmarks.md, "Engine cost per INSERT"). 256 KiB holds a TraceId bloom filter of
 * ~140 000 spans; larger indexes (parts of big merges) stay one file each. Packing buffers at most
 * twice this per index while a part is written. Not set on a server, which may predate it.
 */
const packedSkipIndexMaxBytes = 262_144;

/**
 * Sets (or clears) the fsync settings on every MergeTree table of the store's database, and on
 * the embedded engine packs small skip indexes (packedSkipIndexMaxBytes): an insert into `spans`
 * also writes the tables its materialized views feed. MergeTree settings are table settings (not
 * per insert), and ALTER … MODIFY SETTING is idempotent, so it runs at each start.
 */
async function applyTableSettings(store: ClickHouseStore, fsync: boolean): Promise<void> {
  const result = await store.client.query({
    query: `SELECT name FROM system.tables WHERE database = {db:String} AND engine LIKE '%MergeTree'`,
    query_params: { db: store.database },
    format: 'JSONEachRow',
  });
  const value = fsync ? 1 : 0;
  const packed = store.embedded ? `, packed_skip_index_max_bytes = ${packedSkipIndexMaxBytes}` : '';
  for (const { name } of await result.json<{ name: string }>()) {
    await store.client.command({
      query: `ALTER TABLE {db:Identifier}.{table:Identifier} MODIFY SETTING fsync_after_insert = ${value}, fsync_part_directory = ${value}${packed}`,
      query_params: { db: store.database, table: name },
    });
  }
}

async function nullTableExists(store: ClickHouseStore, name: string): Promise<boolean> {
  const result = await store.client.query({
    query: `SELECT count() AS n FROM system.tables WHERE database = {db:String} AND name = {name:String} AND engine = 'Null'`,
    query_params: { db: store.database, name },
    format: 'JSONEachRow',
  });
  return Number((await result.json<{ n: string }>())[0]?.n ?? 0) > 0;
}

/**
 * The `clickhouse` exporter on an open store (the hosted factory takes the host's; one store
 * serves the exporter and the query API in the all-in-one process). Each batch is one INSERT:
 * it is stored whole or not at all, and a retry with the same deduplication token never
 * duplicates rows.
 * @example const exporter = clickhouseExporter(store, settings, clickhouseExporterConfig.parse({}));
 */
export function clickhouseExporter(
  store: ClickHouseStore,
  settings: ComponentSettings,
  config: ClickHouseExporterConfig,
): Component & Consumer<TraceBatch> {
  const table = `${store.database}.${config.table}`;
  const buffers = payloadBuffers();
  /**
   * On the embedded store (migration 31) the views filling the derived tables read
   * `<table>_derive`, a Null table: each payload goes there too, after the INSERT into the table
   * and before the sender is answered, with the same deduplication token, so a retry after either
   * INSERT counts every span once in both. Looked up at the first INSERT (and again after a
   * failed look-up).
   */
  let deriveInto: Promise<string[]> | undefined;
  /**
   * The store's deriver once started (spansDeriver.ts): payloads wait in files and are derived
   * every `clickhouse.embedded.deriveInterval`, or after each INSERT when it is 0. Without it
   * (not started, no spans_derive) each payload is derived by the INSERT's second statement above.
   */
  let deriver: SpansDeriver | undefined;
  const deriveTables = (): Promise<string[]> => {
    if (!store.embedded) return Promise.resolve([]);
    deriveInto ??= nullTableExists(store, `${config.table}_derive`).then(
      (exists) => (exists ? [`${table}_derive`] : []),
      (error: unknown) => {
        deriveInto = undefined;
        throw error;
      },
    );
    return deriveInto;
  };

  /** One INSERT of the batch: stored whole or not at all. */
  async function insert(batch: TraceBatch): Promise<void> {
    const genAi = (span: Span) => genAiOf(batch, span);
    const token = batch.meta.dedupToken;
    // Always set: on the embedded store settings outlive the call (see openStore).
    const clickhouseSettings: ClickHouseSettings = {
      deduplicate_blocks_in_dependent_materialized_views: 1,
      insert_deduplication_token: token ?? '',
      // ReplacingMergeTree would otherwise merge each inserted block on its sorting key,
      // copying every column once more: a quarter to a third of an INSERT's engine CPU
      // (docs/benchmarks.md, "Insert CPU"). Copies of a span within one insert are as rare
      // as across inserts, and every read already collapses those (FINAL, LIMIT 1 BY
      // SpanId) until merges do.
      optimize_on_insert: 0,
      // The embedded engine pushes the block into its views on up to max_threads (its cores)
      // instead of one after another. An INSERT of ~2 000 small spans is the all-in-one's cycle
      // and ran on one core: with a core free its wall time is ~0.75–0.8 of that for about the
      // same CPU; with none free it runs as before (docs/benchmarks.md, "aioparts").
      // Not on a server, whose cores serve other inserts and queries: its default stays.
      ...(store.embedded ? { parallel_view_processing: 1 } : {}),
    };
    let rows = batch.spanCount;
    try {
      if (store.scratchDir) {
        // The embedded engine: RowBinary, written straight from the request (bench/src/insertFormats.ts).
        const payload = spanRowBinary(batch.projectId, batch.request(), genAi, buffers.take(batch.spanCount));
        try {
          rows = payload.rows;
          if (rows === 0) return;
          // Every payload waits to be derived. A batch with a token (the ingester's Kafka offsets)
          // delivered again is stored once and derived once (the deriver remembers the tokens).
          if (deriver && config.table === 'spans') {
            // Past the pending bound a derive runs first: nothing stored yet if it fails.
            await deriver.admit();
            // Without one (`llmp start`), a token of its own: a payload a crash left staged is
            // INSERTed again with it at start.
            await deriver.insert(token ?? randomUUID(), payload.bytes, clickhouseSettings);
            // The spans are stored: a failed derive keeps its payloads for the next (counted).
            if (store.derive?.interval === 0) await deriver.derive().catch(() => undefined);
            store.writeHealth.succeeded();
            return;
          }
          await insertRowBinary(store, {
            table,
            columns: spanRowBinaryColumns,
            bytes: payload.bytes,
            settings: clickhouseSettings,
            thenInto: await deriveTables(),
          });
        } finally {
          // Once the INSERT is over nothing reads the payload: its buffer can take the next one.
          buffers.give(payload.buffer);
        }
      } else {
        const values = spanRows(batch.projectId, batch.request(), genAi);
        rows = values.length;
        if (rows === 0) return;
        // An embedded store whose data dir cannot stage binary payloads (clickhouseStore.ts).
        for (const into of [table, ...(await deriveTables())])
          await store.client.insert({
            table: into,
            values,
            format: 'JSONEachRow',
            clickhouse_settings: clickhouseSettings,
          });
      }
      store.writeHealth.succeeded();
    } catch (error) {
      store.writeHealth.failed(error);
      throw classifyClickHouseError(error, `insert of ${rows} spans into ${table}`);
    }
  }

  return exporterHelper({
    settings,
    name: 'ClickHouse exporter',
    send: insert,
    spanCount: (batch: TraceBatch) => batch.spanCount,
    retryOnFailure: config.retryOnFailure,
    sendingQueue: config.sendingQueue,
    drainTimeout: config.drainTimeout,
    start: async () => {
      await applyTableSettings(store, config.fsync);
      deriver = await storeDeriver(store, settings.logger);
      // Each exporter's start is matched by its stop's close: a pipeline rebuilt on the same
      // store starts the interval again.
      if (deriver && store.derive && store.derive.interval > 0) deriver.start(store.derive.interval);
    },
    // Once the sends are done: what waits is derived before the store closes.
    stop: async () => {
      // A failed derive keeps its payloads on disk (spans stored): the next start derives them.
      await deriver
        ?.close()
        .catch((error: unknown) =>
          settings.logger.warn(
            { err: error, pendingBytes: deriver?.pendingBytes },
            'derive at shutdown failed: left to the next start',
          ),
        );
    },
  });
}
