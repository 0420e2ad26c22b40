import {
  accessSync,
  constants,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { resolve } from 'node:path';
import { type ClickHouseClient, createClient } from '@clickhouse/client';
import { type ClickHouseTlsConfig, clickhouseTls } from './clickhouseTls.ts';
import { allocatorConf, type EmbeddedEngineOptions, engineArgs } from './embeddedEngine.ts';
import { clusterName } from './renderSchemaStep.ts';
import { StoreOpenError } from './storeOpenError.ts';
import { type StoreWriteHealth, storeWriteHealth } from './storeWriteHealth.ts';

// Its home is storeOpenError.ts (clickhouseTls.ts throws it too); importers of the store find it here.
export { StoreOpenError };

/** A ClickHouse connection and the database llmp owns in it. */
export interface ClickHouseStore {
  client: ClickHouseClient;
  database: string;
  /** True when the engine runs inside this process (chdb) rather than on a server. */
  embedded: boolean;
  /**
   * The ClickHouse cluster the schema spans (`remote_servers` name), when it is one: tables are
   * `<name>_local` replicated tables read and written through Distributed `<name>` tables.
   */
  cluster?: string | undefined;
  /** Where the data lives: the server URL or the embedded data dir. */
  location: string;
  /**
   * The embedded engine's zero-copy insert (chdb `rawInsert`): the payload bytes go to the engine's
   * parser as they are, without the client's string round trip. Absent on a server.
   */
  rawInsert?: RawInsert;
  /** Where an embedded store stages binary insert payloads (see insertRowBinary). Absent on a server. */
  scratchDir?: string;
  /**
   * How an embedded store derives its derived tables from the spans INSERTed (spansDeriver.ts):
   * its pending payloads' dir (kept across restarts), interval and bound. Absent on a server and
   * where binary payloads cannot be staged (scratchDir).
   */
  derive?: { dir: string; interval: number; maxPendingBytes: number };
  /** Whether the last write found the store writable (disk full, read-only); `/readyz` reads it. */
  writeHealth: StoreWriteHealth;
  close(): Promise<void>;
}

/** An INSERT of a payload already encoded in a text format chdb's raw insert takes. */
export type RawInsert = (params: {
  table: string;
  values: Buffer;
  format: 'JSONEachRow' | 'JSONCompactEachRow' | 'TabSeparated';
  columns?: readonly string[];
  settings?: Record<string, string | number>;
}) => Promise<unknown>;

export interface OpenStoreOptions {
  /** A ClickHouse server (`http://host:8123`); unset means the embedded engine in `dataDir`. */
  url?: string | undefined;
  dataDir?: string;
  database?: string;
  username?: string | undefined;
  password?: string | undefined;
  requestTimeoutMs?: number;
  /** How the embedded engine starts (memory bound, allocator, server settings); ignored with `url`. */
  embedded?: EmbeddedEngineOptions;
  /** A cluster of the server (`remote_servers`) the schema spans; needs `url`. */
  cluster?: string | undefined;
  /** For an `https://` url: the CA of the server's certificate, and a client certificate. */
  tls?: ClickHouseTlsConfig | undefined;
}

const identifier = /^[A-Za-z_][A-Za-z0-9_]*$/;
const globCharacters = /[*?{}]/;

// 64-bit integers as JSON strings so nanosecond timestamps and counters keep every digit.
const readSettings = { output_format_json_quote_64bit_integers: 1 } as const;

function lockedMessage(dataDir: string, pid?: number): string {
  return (
    `the data dir ${dataDir} is already open in another llmp process${pid ? ` (pid ${pid})` : ''}. ` +
    'An embedded store belongs to one ' +
    'process at a time: stop the other process, give this one its own --data-dir, or run a ClickHouse ' +
    'server and set CLICKHOUSE_URL.'
  );
}

const permissionCodes = new Set(['EACCES', 'EPERM', 'EROFS']);

function notWritableMessage(home: string, path: string, code: string): string {
  let owner = '';
  try {
    owner = `, owned by uid ${statSync(path).uid}`;
  } catch {
    // the path itself cannot be read; its parent's owner is what the user has to change
  }
  const uid = process.getuid?.();
  return (
    `the data dir ${home} is not writable by this process${uid === undefined ? '' : ` (uid ${uid})`}: ` +
    `${path}${owner} (${code}). Give --data-dir (LLMP_DATA_DIR) a directory this user can write, ` +
    'or change the owner of the data dir (for example chown -R).'
  );
}

/**
 * The first path of an embedded data dir this process cannot write (the dir, its engine dir and
 * the engine's entries two levels down), creating the dirs when missing; undefined when all can be.
 * Checked before the engine starts, because the engine reports an unwritable file as a failure to
 * lock its status file — the same failure as a second process — and a user would be told the
 * wrong thing.
 */
function unwritable(home: string, engineDir: string): StoreOpenError | undefined {
  const fail = (path: string, error: unknown): StoreOpenError => {
    const code = (error as NodeJS.ErrnoException).code ?? 'EACCES';
    return new StoreOpenError(notWritableMessage(home, path, code), { cause: error });
  };
  try {
    mkdirSync(engineDir, { recursive: true });
  } catch (error) {
    if (permissionCodes.has((error as NodeJS.ErrnoException).code ?? '')) return fail(home, error);
    throw error;
  }
  const paths = [home, engineDir];
  for (let level = 0, dirs = [engineDir]; level < 2; level++) {
    const next: string[] = [];
    for (const dir of dirs) {
      let entries: import('node:fs').Dirent[];
      try {
        entries = readdirSync(dir, { withFileTypes: true }).slice(0, 1000);
      } catch (error) {
        if (permissionCodes.has((error as NodeJS.ErrnoException).code ?? '')) return fail(dir, error);
        throw error;
      }
      for (const entry of entries) {
        const path = resolve(dir, entry.name);
        paths.push(path);
        if (entry.isDirectory()) next.push(path);
      }
    }
    dirs = next;
  }
  for (const path of paths) {
    try {
      accessSync(path, constants.W_OK);
    } catch (error) {
      if (permissionCodes.has((error as NodeJS.ErrnoException).code ?? '')) return fail(path, error);
    }
  }
  return undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Records this process as the owner of an embedded data dir, so that a second process gets a
 * plain answer instead of the engine's failure to lock its status file.
 */
function claimDataDir(home: string): () => void {
  const pidFile = resolve(home, 'llmp.pid');
  let owner: number | undefined;
  try {
    owner = Number(readFileSync(pidFile, 'utf8').trim()) || undefined;
  } catch {
    owner = undefined;
  }
  if (owner !== undefined && owner !== process.pid && alive(owner)) {
    throw new StoreOpenError(lockedMessage(home, owner));
  }
  writeFileSync(pidFile, `${process.pid}\n`);
  return () => {
    try {
      if (Number(readFileSync(pidFile, 'utf8').trim()) === process.pid) rmSync(pidFile);
    } catch {
      // already gone
    }
  };
}

/**
 * Opens the ClickHouse store: a server over HTTP when `url` is set, otherwise the embedded
 * engine (chdb) in `dataDir`, loaded only here and only then (it is a 540 MB native library).
 * @example const store = await openStore({ dataDir: './.llmp' });
 */
export async function openStore({
  url,
  dataDir = './.llmp',
  database = 'llmp',
  username,
  password,
  requestTimeoutMs = 30_000,
  embedded = {},
  cluster,
  tls,
}: OpenStoreOptions = {}): Promise<ClickHouseStore> {
  if (!identifier.test(database))
    throw new StoreOpenError(`database name "${database}" must match ${identifier}`);
  if (cluster !== undefined && !clusterName.test(cluster))
    throw new StoreOpenError(`cluster name "${cluster}" must match ${clusterName}`);
  if (cluster && !url)
    throw new StoreOpenError(
      `clickhouse.cluster "${cluster}" needs a ClickHouse server: set clickhouse.url (CLICKHOUSE_URL)`,
    );
  if (url) {
    const client = createClient({
      url,
      ...(tls ? { tls: clickhouseTls(tls) } : {}),
      ...(username ? { username } : {}),
      ...(password ? { password } : {}),
      request_timeout: requestTimeoutMs,
      clickhouse_settings: {
        ...readSettings,
        // Inserts through a Distributed table are sent to their shards before the INSERT
        // returns, each shard's block carrying the insert's settings, its deduplication token
        // among them: a retried batch is recognised on every shard, and an answer (a Kafka
        // offset commit) means stored on the shard. In the background mode the node would
        // answer once the rows sit in its own send queue, and batch them anew for the shards.
        ...(cluster ? { insert_distributed_sync: 1 } : {}),
      },
    });
    return {
      client,
      database,
      embedded: false,
      cluster: cluster || undefined,
      location: url,
      writeHealth: storeWriteHealth(),
      close: () => client.close(),
    };
  }
  const home = resolve(dataDir);
  const path = resolve(home, 'clickhouse');
  // file() reads glob patterns: a data dir whose path has one keeps the JSONEachRow inserts.
  const scratchDir = globCharacters.test(home) ? undefined : resolve(home, 'inserts');
  const refused = unwritable(home, path);
  if (refused) throw refused;
  const releaseLock = claimDataDir(home);
  let client: ClickHouseClient;
  let rawInsert: RawInsert;
  let engineSession: { close(): unknown } | undefined;
  const conf = allocatorConf(embedded, process.env.JE_MALLOC_CONF);
  try {
    const args = engineArgs(embedded);
    // Before the first import of chdb: its allocator reads this once, when the library loads.
    // Taken out again below, so that processes this one starts do not take it for an operator's.
    if (conf !== undefined) process.env.JE_MALLOC_CONF = conf;
    const { Session } = await import('chdb');
    const { createChdbConnection } = await import('chdb/connection');
    // The first connection to a data dir starts the engine with its arguments; chdb/connection
    // takes none, so a session opened first carries them and the connection below joins the
    // engine it started. It stays open as long as the store.
    if (args.length > 0) engineSession = new Session(path, { connectionArgs: args });
    const connection = createChdbConnection({ path });
    rawInsert = (params) => connection.chdb.rawInsert(params);
    // chdb's Connection is typed against client-common's interface; the runtime object matches it.
    client = createClient({
      connection: connection as never,
      // chdb/connection applies per-call settings as SET statements on its one session, so they
      // outlive the call: without this, a later insert with no token of its own would reuse the
      // last one and be dropped as a repeat. Every call now sets it ('' = no token) unless given.
      clickhouse_settings: { ...readSettings, insert_deduplication_token: '' },
    });
    await client.query({ query: 'SELECT 1', format: 'JSONEachRow' }).then((r) => r.json());
    if (conf !== undefined) delete process.env.JE_MALLOC_CONF;
    if (scratchDir) {
      // Payloads left by a process that died mid-insert; the engine's lock makes the dir ours now.
      rmSync(scratchDir, { recursive: true, force: true });
      mkdirSync(scratchDir);
    }
  } catch (error) {
    if (conf !== undefined) delete process.env.JE_MALLOC_CONF;
    engineSession?.close();
    releaseLock();
    if ((error as { code?: string }).code === 'CHDB_CONNECTION') {
      throw new StoreOpenError(lockedMessage(home), { cause: error });
    }
    throw new StoreOpenError(
      `cannot open the embedded ClickHouse store in ${home}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  return {
    client,
    database,
    embedded: true,
    writeHealth: storeWriteHealth(),
    location: home,
    rawInsert,
    ...(scratchDir
      ? {
          scratchDir,
          derive: {
            dir: resolve(home, 'derive'),
            interval: embedded.deriveInterval ?? 1000,
            maxPendingBytes: embedded.derivePendingBytes ?? 128 * 1024 ** 2,
          },
        }
      : {}),
    close: async () => {
      await client.close();
      engineSession?.close();
      releaseLock();
    },
  };
}
