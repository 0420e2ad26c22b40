import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { appendFile, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClickHouseSettings } from '@clickhouse/client';
import type { Logger } from '@llmp/pipeline';
import { classifyClickHouseError } from './classifyClickHouseError.ts';
import type { ClickHouseStore } from './clickhouseStore.ts';
import { insertRowBinary } from './insertRowBinary.ts';
import { dedupWindow } from './renderSchemaStep.ts';
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
  /**
   * A `derive-*` directory the engine refused this many times for its data (a payload it cannot
   * read) is moved to `failed/`; 3 if absent. Other failures are retried without limit.
   */
  maxAttempts?: number;
  /**
   * How many derived payloads' tokens are remembered (`derived.log`), newest kept: a token
   * INSERTed again within them (a Kafka redelivery) is stored (the spans' window drops it) and not
   * derived again. The spans' deduplication window (renderSchemaStep's dedupWindow) if absent: a
   * repeat older than that is stored twice in spans anyway.
   */
  ledgerSize?: number;
  /** Where a quarantined directory is reported (nothing if absent). */
  logger?: Logger;
  /** Told the seconds of every derive that INSERTed (the duration histogram of deriveMetrics). */
  observe?: (seconds: number) => void;
}

/** What the deriver has done since it was made: counters for the engine metrics. */
export interface DeriveCounts {
  derives: number;
  derivedPayloads: number;
  derivedBytes: number;
  /** Derives that failed (each attempt). */
  failures: number;
  /** `derive-*` directories moved to `failed/`: their spans stored, their derived rows missing. */
  quarantined: number;
  /** Payloads moved to `failed/`: those directories', and staged ones a crash cut short (never stored). */
  quarantinedPayloads: number;
}

/**
 * ClickHouse error codes that mean a payload file cannot be read as RowBinary (a truncated or
 * damaged file), besides the data errors of classifyClickHouseError: retrying cannot succeed.
 */
const unreadableCodes = new Set([
  32, // ATTEMPT_TO_READ_AFTER_EOF
  33, // CANNOT_READ_ALL_DATA
]);

/** Whether the engine refused a derive for its data (the file), not for its own state. */
function isDataError(error: unknown): boolean {
  const e = error as { code?: unknown; clickhouseCode?: unknown };
  const code = Number(e?.clickhouseCode ?? e?.code);
  return unreadableCodes.has(code) || classifyClickHouseError(error, 'derive').kind === 'permanent';
}

/**
 * The longest file name a token is kept in (base64url of the token, `.rowbinary`): with `.new`
 * within the 255 bytes of a name on every common file system. A longer token (over ~140 bytes: a
 * topic and project name of ~100 characters together) is derived at once by its INSERT (insert()).
 */
const maxFileName = 200;

/** The file a payload with this token waits in, under `pending/` or a `derive-*` directory. */
const fileOf = (token: string) => `${Buffer.from(token).toString('base64url')}.rowbinary`;

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
 * so every span is counted once. A token INSERTed again (the ingester's Kafka offsets, delivered
 * again after a crash or a rebalance) while its payload waits or after its derive (`derived.log`,
 * the newest `ledgerSize`) goes to spans only, whose window drops it. Derives run one at a time.
 * @example const deriver = spansDeriver(store, { dir, table: 'llmp.spans', deriveTable: 'llmp.spans_derive', columns, maxPendingBytes, maxPayloads: 8 });
 */
export function spansDeriver(store: ClickHouseStore, options: SpansDeriverOptions) {
  const { dir, table, deriveTable, columns, maxPendingBytes, maxPayloads, logger, observe } = options;
  const maxAttempts = options.maxAttempts ?? 3;
  const ledgerSize = options.ledgerSize ?? dedupWindow;
  const pendingDir = join(dir, 'pending');
  const failedDir = join(dir, 'failed');
  const ledgerPath = join(dir, 'derived.log');
  mkdirSync(pendingDir, { recursive: true });
  /**
   * The files (tokens) of the payloads derived, oldest first, at most ledgerSize; `derived.log`
   * holds them one per line, appended after each derive and rewritten past twice ledgerSize lines.
   */
  const derived = new Set<string>();
  let ledgerLines = 0;
  if (existsSync(ledgerPath)) {
    const lines = readFileSync(ledgerPath, 'utf8').split('\n').filter(Boolean);
    ledgerLines = lines.length;
    for (const line of lines.slice(-ledgerSize)) derived.add(line);
  }
  /** Payloads being staged and INSERTed, by file: a second INSERT of one waits for the first. */
  const staging = new Map<string, Promise<void>>();
  const names = columns.map(([name]) => `\`${name}\``);
  const structure = columns.map(([, type], i) => `${names[i]} ${type}`).join(', ');
  /** Payloads waiting in `pending/`, oldest first: their sizes and when they were stored (ms). */
  const pending = new Map<string, { bytes: number; since: number }>();
  /** `derive-*` directories not yet derived: what they hold, and the data errors they met. */
  const dirs = new Map<
    string,
    { bytes: number; payloads: number; since: number; dataErrors: number; files: string[] }
  >();
  let pendingBytes = 0;
  const counts: DeriveCounts = {
    derives: 0,
    derivedPayloads: 0,
    derivedBytes: 0,
    failures: 0,
    quarantined: 0,
    quarantinedPayloads: 0,
  };
  let running: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  /** start() calls not yet matched by close(): the interval runs while any is open. */
  let users = 0;

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
    const file = fileOf(token);
    const path = join(pendingDir, `${file}.new`);
    await writeFile(path, bytes);
    return {
      path,
      stored: async () => {
        await rename(path, join(pendingDir, file));
        if (!pending.has(file)) pendingBytes += bytes.length;
        pending.set(file, { bytes: bytes.length, since: Date.now() });
      },
      discard: () => rm(path, { force: true }),
    };
  }

  /** What a `derive-*` directory a crash or a failed derive left holds, read from disk. */
  function known(name: string) {
    let entry = dirs.get(name);
    if (!entry) {
      const path = join(dir, name);
      entry = { bytes: 0, payloads: 0, since: Date.now(), dataErrors: 0, files: [] };
      for (const f of readdirSync(path).filter((n) => n.endsWith('.rowbinary'))) {
        const info = statSync(join(path, f));
        entry.bytes += info.size;
        entry.payloads++;
        entry.since = Math.min(entry.since, info.mtimeMs);
        entry.files.push(f);
      }
      dirs.set(name, entry);
      pendingBytes += entry.bytes;
    }
    return entry;
  }

  /** Whether a payload of this file is stored already: waiting, being derived, or derived. */
  function seen(file: string): boolean {
    if (pending.has(file) || derived.has(file)) return true;
    for (const entry of dirs.values()) if (entry.files.includes(file)) return true;
    return false;
  }

  /**
   * Remembers the files of a derive, before its directory is removed (a crash between the two
   * derives it again with its token: dropped, then remembered).
   */
  async function remember(files: readonly string[]): Promise<void> {
    for (const file of files) {
      derived.delete(file);
      derived.add(file);
    }
    for (const file of derived) {
      if (derived.size <= ledgerSize) break;
      derived.delete(file);
    }
    ledgerLines += files.length;
    if (ledgerLines <= 2 * ledgerSize) {
      await appendFile(ledgerPath, files.map((file) => `${file}\n`).join(''));
      return;
    }
    await writeFile(`${ledgerPath}.new`, [...derived].map((file) => `${file}\n`).join(''));
    await rename(`${ledgerPath}.new`, ledgerPath);
    ledgerLines = derived.size;
  }

  /** A directory done with (derived, or quarantined): its bytes no longer wait. */
  function forget(name: string) {
    const entry = dirs.get(name);
    if (entry) pendingBytes -= entry.bytes;
    dirs.delete(name);
  }

  /**
   * Derives one `derive-<uuid>` directory and removes it. On failure it stays for the next
   * derive, which tries it first (backpressure: admit() waits on it), unless the engine refused
   * its data `maxAttempts` times: then it is moved to `failed/<name>` (kept for an operator,
   * counted, logged) and the derive goes on. Its spans are in `spans` already; only its rows
   * of the derived tables (trace_search, trace_jobs, …) are missing. Resolves to whether it
   * was quarantined.
   */
  async function deriveDir(name: string): Promise<boolean> {
    const path = join(dir, name);
    const entry = known(name);
    if (entry.payloads > 0) {
      const started = performance.now();
      try {
        await insertFrom(deriveTable, join(path, '*.rowbinary'), name);
      } catch (error) {
        counts.failures++;
        if (isDataError(error)) entry.dataErrors++;
        if (entry.dataErrors < maxAttempts) throw error;
        mkdirSync(failedDir, { recursive: true });
        renameSync(path, join(failedDir, name));
        forget(name);
        counts.quarantined++;
        counts.quarantinedPayloads += entry.payloads;
        logger?.error(
          {
            path: join(failedDir, name),
            payloads: entry.payloads,
            bytes: entry.bytes,
            attempts: entry.dataErrors,
            err: error,
          },
          'derive refused for its data: directory moved aside; its spans are stored, their rows in the derived tables are missing',
        );
        return true;
      }
      observe?.((performance.now() - started) / 1000);
      counts.derives++;
      counts.derivedPayloads += entry.payloads;
      counts.derivedBytes += entry.bytes;
      await remember(entry.files);
    }
    await rm(path, { recursive: true, force: true });
    forget(name);
    return false;
  }

  /**
   * Every `derive-*` directory a failed derive or a crash left, then the payloads waiting when it
   * began, `maxPayloads` at a time. Not those stored meanwhile: under steady intake (an INSERT
   * every ~70 ms, a derive ~80 ms) draining until none waits derived each payload alone, the
   * per-INSERT cost the deriver saves (51 derives of 64 payloads in 5 s of `llmp start`).
   */
  async function deriveAll(): Promise<void> {
    for (const name of readdirSync(dir)
      .filter((n) => n.startsWith('derive-'))
      .sort())
      await deriveDir(name);
    const waiting = [...pending];
    while (waiting.length > 0) {
      const batch = waiting.splice(0, maxPayloads);
      const name = `derive-${Date.now().toString().padStart(15, '0')}-${randomUUID()}`;
      await mkdir(join(dir, name));
      const entry = { bytes: 0, payloads: 0, since: Date.now(), dataErrors: 0, files: [] as string[] };
      dirs.set(name, entry);
      for (const [file, { bytes, since }] of batch) {
        await rename(join(pendingDir, file), join(dir, name, file));
        pending.delete(file);
        entry.bytes += bytes;
        entry.payloads++;
        entry.since = Math.min(entry.since, since);
        entry.files.push(file);
      }
      await deriveDir(name);
    }
  }

  /** One derive at a time: a call waits for the running one, then derives what waits then. */
  function derive(): Promise<void> {
    const next = running.then(deriveAll, deriveAll);
    running = next.catch(() => undefined);
    return next;
  }

  return {
    counts,
    /** Bytes written to spans and not yet derived (in `pending/` and in `derive-*` directories). */
    get pendingBytes() {
      return pendingBytes;
    },
    /** Payloads written to spans and not yet derived. */
    get pendingPayloads() {
      let n = pending.size;
      for (const entry of dirs.values()) n += entry.payloads;
      return n;
    },
    /** When the oldest payload not yet derived was stored (ms since the epoch); undefined if none. */
    get oldestPending(): number | undefined {
      let oldest = pending.values().next().value?.since;
      for (const entry of dirs.values())
        if (entry.payloads > 0) oldest = Math.min(oldest ?? entry.since, entry.since);
      return oldest;
    },
    /**
     * Writes a payload to `pending/` before its INSERT into spans with `token` (the file's name
     * carries it, for recover()).
     */
    stage,
    /**
     * A payload INSERTed into the table (`settings` besides the token's) and left pending: stored
     * whole or not at all; nothing of it waits when the INSERT fails. One whose token was
     * INSERTed before (waiting, being derived, or among the derived remembered) goes to the table
     * only, where the window drops it; one whose token is too long to name a file is derived at
     * once, with the same token (a repeat dropped by the derived tables' windows too).
     */
    async insert(token: string, bytes: Uint8Array, more: ClickHouseSettings = {}): Promise<void> {
      const file = fileOf(token);
      const once = { ...more, ...settings(token) };
      if (file.length > maxFileName) {
        await insertRowBinary(store, { table, columns, bytes, settings: once, thenInto: [deriveTable] });
        return;
      }
      for (let running = staging.get(file); running; running = staging.get(file))
        await running.catch(() => undefined);
      if (seen(file)) {
        await insertRowBinary(store, { table, columns, bytes, settings: once });
        return;
      }
      const inserting = (async () => {
        const staged = await stage(token, bytes);
        try {
          await insertFrom(table, staged.path, token, more);
        } catch (error) {
          await staged.discard();
          throw error;
        }
        await staged.stored();
      })();
      staging.set(file, inserting);
      try {
        await inserting;
      } finally {
        staging.delete(file);
      }
    },
    /** Resolves once the pending bytes are within the bound, deriving first when they are not. */
    async admit(): Promise<void> {
      if (pendingBytes > maxPendingBytes) await derive();
    },
    derive,
    /**
     * Derives every `intervalMs` while payloads wait (a failed derive is counted and retried at
     * the next tick, its directory kept). Each start() is matched by a close(): the interval runs
     * until the last user closes, and a start after that starts it again.
     */
    start(intervalMs: number): void {
      users++;
      timer ??= setInterval(() => {
        if (pendingBytes > 0) derive().catch(() => undefined);
      }, intervalMs).unref();
    },
    /**
     * Ends one start() (the interval stops with the last) and derives everything left:
     * idempotent, safe without start.
     */
    async close(): Promise<void> {
      users = Math.max(0, users - 1);
      if (users === 0) {
        clearInterval(timer);
        timer = undefined;
      }
      await derive();
    },
    /**
     * At start, before any INSERT: the `.new` payloads a crash left INSERTed into spans with
     * their tokens (one the engine cannot read, cut short by the crash, is moved to `failed/`;
     * another failure rejects: the start fails), then everything left derived (a failure here is
     * logged and left to the next derive).
     */
    async recover(): Promise<void> {
      for (const name of readdirSync(pendingDir).sort()) {
        const path = join(pendingDir, name);
        if (name.endsWith('.rowbinary.new')) {
          const file = name.slice(0, -'.new'.length);
          try {
            await insertFrom(
              table,
              path,
              Buffer.from(file.slice(0, -'.rowbinary'.length), 'base64url').toString(),
            );
          } catch (error) {
            if (!isDataError(error)) throw error;
            // Cut short by the crash while it was written: its INSERT never ran, its request was
            // never answered (the sender sends it again). Kept aside, never INSERTed.
            mkdirSync(failedDir, { recursive: true });
            renameSync(path, join(failedDir, name));
            counts.quarantinedPayloads++;
            logger?.error(
              { path: join(failedDir, name), err: error },
              'staged payload unreadable at start (written when the process stopped): moved aside, not stored',
            );
            continue;
          }
          await rename(path, join(pendingDir, file));
          pending.set(file, { bytes: (await stat(join(pendingDir, file))).size, since: Date.now() });
        } else if (name.endsWith('.rowbinary') && !pending.has(name)) {
          const info = statSync(path);
          pending.set(name, { bytes: info.size, since: info.mtimeMs });
        }
      }
      pendingBytes = [...pending.values(), ...dirs.values()].reduce((a, b) => a + b.bytes, 0);
      for (const name of readdirSync(dir).filter((n) => n.startsWith('derive-'))) known(name);
      // The spans are stored: a failed derive leaves the payloads to the next (counted), and
      // never stops the start (a poisoned directory is moved aside after its attempts).
      await derive().catch((error: unknown) =>
        logger?.warn({ err: error, pendingBytes }, 'derive at start failed: retried at the next derive'),
      );
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
/** The derivers made, for the metrics read at a scrape (deriveMetrics.ts). */
const made = new WeakMap<ClickHouseStore, SpansDeriver>();
/** Per store, who is told each derive's duration (deriveMetrics.ts). */
const observers = new WeakMap<ClickHouseStore, (seconds: number) => void>();

/**
 * The store's deriver if one was made (storeDeriver), without making one: for metrics.
 * @example const pending = madeDeriver(store)?.pendingBytes ?? 0;
 */
export function madeDeriver(store: ClickHouseStore): SpansDeriver | undefined {
  return made.get(store);
}

/**
 * Tells `observe` the seconds of each derive of the store's deriver, made now or later.
 * @example observeDerives(store, (s) => histogram.observe(s));
 */
export function observeDerives(store: ClickHouseStore, observe: (seconds: number) => void): void {
  observers.set(store, observe);
}

/**
 * The one deriver of an embedded store's spans (none on a server, or before migration 31):
 * made at its first call, which recovers what a crash left (`logger` for what it moves aside).
 * Its users (the exporters on the store) each start() it with the store's interval and close() it.
 * @example const deriver = await storeDeriver(store, logger);
 */
export function storeDeriver(store: ClickHouseStore, logger?: Logger): Promise<SpansDeriver | undefined> {
  let making = derivers.get(store);
  if (!making) {
    making = (async () => {
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
        ...(logger ? { logger } : {}),
        observe: (seconds) => observers.get(store)?.(seconds),
      });
      await deriver.recover();
      made.set(store, deriver);
      return deriver;
    })();
    // A failed start (the store unreachable) is tried again at the next call.
    making.catch(() => derivers.delete(store));
    derivers.set(store, making);
  }
  return making;
}
