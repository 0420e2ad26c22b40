import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { ClickHouseStore } from './clickhouseStore.ts';
import { renderBookkeepingTable, type SchemaTarget } from './renderSchemaStep.ts';

/** Why the migration lock was not taken: another migrator held it for the whole wait. */
export class MigrationLockError extends Error {
  readonly kind = 'migration-lock-busy';
  /** Who held the lock. */
  readonly owner: string;
  constructor(message: string, owner: string) {
    super(message);
    this.name = 'MigrationLockError';
    this.owner = owner;
  }
}

export interface MigrationLock {
  owner: string;
  generation: number;
  release(): Promise<void>;
}

export interface MigrationLockOptions {
  /** Who is migrating, as other migrators are told (default host:pid:random). */
  owner?: string;
  /** How long a claim holds when its owner dies without releasing it (ms). */
  leaseMs?: number;
  /** How long to wait for another migrator before giving up with MigrationLockError (ms). */
  waitMs?: number;
  /** How often to look again while waiting (ms). */
  pollMs?: number;
}

export const migrationLockTable = 'llmp_migration_lock';

interface LockRow {
  generation: string;
  owner: string;
  live: number;
}

/** The lock table's statement for a target (created with schema_migrations, before any lock). */
export function migrationLockDdl(target: SchemaTarget): string {
  return renderBookkeepingTable(
    migrationLockTable,
    `generation UInt64,
      owner String,
      expires_at DateTime64(3, 'UTC')`,
    'generation',
    target,
    { deduplicated: true },
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Takes the migration lock: one migrator at a time across processes and hosts.
 *
 * The lock is a sequence of claims, one row per generation. A migrator reads the latest
 * generation g; if it is held (an owner, not expired by the server's clock) it waits;
 * otherwise it inserts generation g+1 with the deduplication token `llmp-migration-lock:g+1`
 * and reads back whose row generation g+1 is. Inserts with the same token keep only the
 * first (on a replicated table the block id is claimed in Keeper, so across every replica; on
 * a single server by the table's deduplication window), so of the migrators that raced for
 * g+1 exactly one finds its own name there: a compare-and-set. Release is generation g+2 with
 * no owner. A migrator that dies holds the lock until its lease ends (times from the server's
 * clock, so clocks of the migrating hosts do not matter); a migration running longer than its
 * lease could be joined by a second migrator, so the lease is generous.
 * @example const lock = await takeMigrationLock(store, target); try { … } finally { await lock.release(); }
 */
export async function takeMigrationLock(
  store: ClickHouseStore,
  target: SchemaTarget,
  {
    owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    leaseMs = 30 * 60_000,
    waitMs = 10 * 60_000,
    pollMs = 500,
  }: MigrationLockOptions = {},
): Promise<MigrationLock> {
  const { client } = store;
  const table = `\`${target.database}\`.${migrationLockTable}`;
  const started = Date.now();
  const read = async (generation?: number): Promise<LockRow | undefined> => {
    const result = await client.query({
      query: `SELECT generation, owner, expires_at > now64(3) AS live FROM ${table}
        ${generation === undefined ? '' : 'WHERE generation = {generation:UInt64}'}
        ORDER BY generation DESC LIMIT 1`,
      query_params: generation === undefined ? {} : { generation },
      format: 'JSONEachRow',
    });
    return (await result.json<LockRow>())[0];
  };
  const claim = async (generation: number, claimant: string, forMs: number) => {
    const now = await client.query({
      query: 'SELECT toUnixTimestamp64Milli(now64(3)) AS ms',
      format: 'JSONEachRow',
    });
    const serverMs = Number((await now.json<{ ms: string }>())[0]?.ms);
    await client.insert({
      table,
      values: [
        {
          generation,
          owner: claimant,
          expires_at: new Date(serverMs + forMs).toISOString().replace('T', ' ').replace('Z', ''),
        },
      ],
      format: 'JSONEachRow',
      clickhouse_settings: {
        insert_deduplicate: 1,
        insert_deduplication_token: `llmp-migration-lock:${generation}`,
      },
    });
  };
  for (;;) {
    const latest = await read();
    if (latest && latest.owner !== '' && Number(latest.live) === 1 && latest.owner !== owner) {
      if (Date.now() - started >= waitMs) {
        throw new MigrationLockError(
          `another llmp (${latest.owner}) is migrating the schema of ${target.database}; waited ${Math.round(waitMs / 1000)} s. ` +
            'Run llmp migrate again when it has finished (a migrator that died holds the lock until its lease ends).',
          latest.owner,
        );
      }
      await sleep(pollMs);
      continue;
    }
    const generation = Number(latest?.generation ?? 0) + 1;
    await claim(generation, owner, leaseMs);
    // Whoever won, a row of this generation exists now; on a cluster this replica may still
    // be fetching it.
    let winner = await read(generation);
    while (!winner && Date.now() - started < waitMs) {
      await sleep(pollMs);
      winner = await read(generation);
    }
    if (winner?.owner === owner) {
      return {
        owner,
        generation,
        release: () => claim(generation + 1, '', 0),
      };
    }
  }
}
