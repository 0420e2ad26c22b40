import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClickHouseSettings } from '@clickhouse/client';
import type { ClickHouseStore } from './clickhouseStore.ts';
import { spanRowBinaryColumns } from './spanRowBinary.ts';

/** RowBinary columns of a payload, as spanRowBinaryColumns. */
type Columns = ReadonlyArray<readonly [name: string, type: string]>;

export interface SpansDeriverOptions {
  /** Where payloads wait to be derived: `pending/` and `derive-<uuid>/` under it; kept across restarts. */
  dir: string;
  /** The table a payload is stored in (`llmp.spans`): a `.new` file found at start goes there again. */
  table: string;
  /** The Null table carrying the views (`llmp.spans_derive`, migration 31). */
  deriveTable: string;
  columns: Columns;
  /** Past this many pending bytes, admit() derives before it resolves (backpressure, never a drop). */
  maxPendingBytes: number;
  /** At most this many payloads in one derive: a derive holds the spans INSERTs behind it. */
  maxPayloads: number;
}

/** What the deriver has done since it was made: counters for the engine metrics. */
export interface DeriveCounts {
  derives: number;
  derivedPayloads: number;
  derivedBytes: number;
  failures: number;
}

/** A payload written to `pending/<name>.new` before its INSERT into spans. */
export interface StagedPayload {
  /** The file the INSERT into spans reads. */
  path: string;
  /** Once the INSERT returned: the payload waits to be derived. */
  stored(): Promise<void>;
  /** The INSERT failed: nothing of it waits. */
  discard(): Promise<void>;
}

/**
 * The embedded store's derived tables filled from the payloads the exporter INSERTed into
 * spans, a batch of them at a time, through `spans_derive` (migration 31; docs/benchmarks.md,
 * "The derived tables filled once per interval"). A payload is written to `pending/` before its
 * INSERT into spans (`<token>.rowbinary.new`) and renamed once that returns; a derive moves
 * pending payloads into `derive-<uuid>/`, INSERTs them with one `file()` over that directory into
 * spans_derive with the token `derive-<uuid>`, then removes the directory. A crash leaves files
 * that start-up (recover) finishes: a `.new` file is INSERTed into spans again with its token (a
 * stored one is dropped by the spans' deduplication window), a `derive-*` directory derived again
 * with its token (the targets' windows drop a replay, deduplicate_blocks_in_dependent_materialized_views),
 * so every span is counted once. Derives run one at a time.
 * @example const deriver = spansDeriver(store, { dir, table: 'llmp.spans', deriveTable: 'llmp.spans_derive', columns, maxPendingBytes, maxPayloads: 8 });
 */
export function spansDeriver(store: ClickHouseStore, options: SpansDeriverOptions) {
  const { dir, table, deriveTable, columns, maxPendingBytes, maxPayloads } = options;
  const pendingDir = join(dir, 'pending');
  mkdirSync(pendingDir, { recursive: true });
  const names = columns.map(([name]) => `\`${name}\``);
  const structure = columns.map(([, type], i) => `${names[i]} ${type}`).join(', ');
  /** Payloads waiting, oldest first, with their sizes. */
  const pending = new Map<string, number>();
  let pendingBytes = 0;
  const counts: DeriveCounts = { derives: 0, derivedPayloads: 0, derivedBytes: 0, failures: 0 };
  let running: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;

  const settings = (token: string): ClickHouseSettings => ({
    insert_deduplication_token: token,
    deduplicate_blocks_in_dependent_materialized_views: 1,
    optimize_on_insert: 0,
    parallel_view_processing: 1,
  });

  async function insertFrom(
    into: string,
    path: string,
    token: string,
    more: ClickHouseSettings = {},
  ): Promise<void> {
    await store.client.command({
      query: `INSERT INTO ${into} (${names.join(', ')}) SELECT * FROM file({path:String}, 'RowBinary', {structure:String})`,
      query_params: { path, structure },
      clickhouse_settings: { ...more, ...settings(token) },
    });
  }

  async function stage(token: string, bytes: Uint8Array): Promise<StagedPayload> {
    const file = `${Buffer.from(token).toString('base64url')}.rowbinary`;
    const path = join(pendingDir, `${file}.new`);
    await writeFile(path, bytes);
    return {
      path,
      stored: async () => {
        await rename(path, join(pendingDir, file));
        if (!pending.has(file)) pendingBytes += bytes.length;
        pending.set(file, bytes.length);
      },
      discard: () => rm(path, { force: true }),
    };
  }

  /** Derives one `derive-<uuid>` directory and removes it; on failure it stays for the next derive. */
  async function deriveDir(name: string): Promise<void> {
    const path = join(dir, name);
    const files = readdirSync(path).filter((f) => f.endsWith('.rowbinary'));
    if (files.length > 0) {
      try {
        await insertFrom(deriveTable, join(path, '*.rowbinary'), name);
      } catch (error) {
        counts.failures++;
        throw error;
      }
      counts.derives++;
      counts.derivedPayloads += files.length;
      for (const f of files) counts.derivedBytes += statSync(join(path, f)).size;
    }
    await rm(path, { recursive: true, force: true });
  }

  /** Every `derive-*` directory a failed derive or a crash left, then every pending payload. */
  async function deriveAll(): Promise<void> {
    for (const name of readdirSync(dir)
      .filter((n) => n.startsWith('derive-'))
      .sort())
      await deriveDir(name);
    while (pending.size > 0) {
      const batch = [...pending].slice(0, maxPayloads);
      const name = `derive-${Date.now().toString().padStart(15, '0')}-${randomUUID()}`;
      await mkdir(join(dir, name));
      for (const [file, bytes] of batch) {
        await rename(join(pendingDir, file), join(dir, name, file));
        pending.delete(file);
        pendingBytes -= bytes;
      }
      await deriveDir(name);
    }
  }

  /** One derive at a time: a call waits for the running one, then derives what is left. */
  function derive(): Promise<void> {
    const next = running.then(deriveAll, deriveAll);
    running = next.catch(() => undefined);
    return next;
  }

  return {
    counts,
    /** Bytes written to spans and not yet derived. */
    get pendingBytes() {
      return pendingBytes;
    },
    /**
     * Writes a payload to `pending/` before its INSERT into spans with `token` (the file's name
     * carries it, for recover()).
     */
    stage,
    /**
     * A payload INSERTed into the table (`settings` besides the token's) and left pending: stored
     * whole or not at all; nothing of it waits when the INSERT fails.
     */
    async insert(token: string, bytes: Uint8Array, more: ClickHouseSettings = {}): Promise<void> {
      const staged = await stage(token, bytes);
      try {
        await insertFrom(table, staged.path, token, more);
      } catch (error) {
        await staged.discard();
        throw error;
      }
      await staged.stored();
    },
    /** Resolves once the pending bytes are within the bound, deriving first when they are not. */
    async admit(): Promise<void> {
      if (pendingBytes > maxPendingBytes) await derive();
    },
    derive,
    /**
     * Derives every `intervalMs` while payloads wait (a failed derive is counted and retried at
     * the next tick, its directory kept).
     */
    start(intervalMs: number): void {
      timer ??= setInterval(() => {
        if (pending.size > 0) derive().catch(() => undefined);
      }, intervalMs).unref();
    },
    /** Stops the interval and derives everything left: idempotent, safe without start. */
    async close(): Promise<void> {
      clearInterval(timer);
      timer = undefined;
      await derive();
    },
    /**
     * At start, before any INSERT: the `.new` payloads a crash left INSERTed into spans with
     * their tokens, then everything left derived.
     */
    async recover(): Promise<void> {
      for (const name of readdirSync(pendingDir).sort()) {
        const path = join(pendingDir, name);
        if (name.endsWith('.rowbinary.new')) {
          const file = name.slice(0, -'.new'.length);
          await insertFrom(
            table,
            path,
            Buffer.from(file.slice(0, -'.rowbinary'.length), 'base64url').toString(),
          );
          await rename(path, join(pendingDir, file));
          pending.set(file, (await stat(join(pendingDir, file))).size);
        } else if (name.endsWith('.rowbinary') && !pending.has(name)) {
          pending.set(name, statSync(path).size);
        }
      }
      pendingBytes = [...pending.values()].reduce((a, b) => a + b, 0);
      await derive();
    },
  };
}

export type SpansDeriver = ReturnType<typeof spansDeriver>;

/**
 * Derives what waits on the store's deriver, if it has one and anything waits: before a read of
 * the same process, so that what a sender was answered for is in the derived tables (the query
 * API of `llmp start`). A failed derive is counted and leaves the read to what is derived.
 * @example await flushDerives(store); // then read trace_search
 */
export async function flushDerives(store: ClickHouseStore): Promise<void> {
  const deriver = await derivers.get(store)?.catch(() => undefined);
  if (deriver && deriver.pendingBytes > 0) await deriver.derive().catch(() => undefined);
}

/** At most this many payloads in one derive: ~8 INSERTs' worth took ~170–200 ms (docs/benchmarks.md). */
const maxPayloads = 8;
const derivers = new WeakMap<ClickHouseStore, Promise<SpansDeriver | undefined>>();

/**
 * The one deriver of an embedded store's spans (none on a server, or before migration 31):
 * made at its first call, which recovers what a crash left and starts the interval.
 * @example const deriver = await storeDeriver(store);
 */
export function storeDeriver(store: ClickHouseStore): Promise<SpansDeriver | undefined> {
  let made = derivers.get(store);
  if (!made) {
    made = (async () => {
      const { derive } = store;
      if (!derive) return undefined;
      const exists = await store.client.query({
        query: `SELECT count() AS n FROM system.tables WHERE database = {db:String} AND name = 'spans_derive' AND engine = 'Null'`,
        query_params: { db: store.database },
        format: 'JSONEachRow',
      });
      if (Number((await exists.json<{ n: string }>())[0]?.n ?? 0) === 0) return undefined;
      const deriver = spansDeriver(store, {
        dir: derive.dir,
        table: `${store.database}.spans`,
        deriveTable: `${store.database}.spans_derive`,
        columns: spanRowBinaryColumns,
        maxPendingBytes: derive.maxPendingBytes,
        maxPayloads,
      });
      await deriver.recover();
      if (derive.interval > 0) deriver.start(derive.interval);
      return deriver;
    })();
    // A failed start (the store unreachable) is tried again at the next call.
    made.catch(() => derivers.delete(store));
    derivers.set(store, made);
  }
  return made;
}
