import { randomUUID } from 'node:crypto';
import { truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClickHouseSettings } from '@clickhouse/client';
import type { ClickHouseStore } from './clickhouseStore.ts';

/** Scratch files of a store no INSERT is using (the store's scratch dir is emptied when it opens). */
const freeScratchFiles = new WeakMap<ClickHouseStore, string[]>();

/**
 * Inserts a RowBinary payload into an embedded store. chdb takes binary formats only from a
 * file (its client path turns a body into a string, which corrupts non-UTF-8 bytes, and its raw
 * insert takes text formats only), so the payload goes through a file in the store's scratch
 * dir for the length of one INSERT … SELECT FROM file(), whose path and structure are query
 * parameters (INSERT … FROM INFILE, which costs the same CPU, takes a literal only). Measured
 * cheaper than every text format chdb takes (bench/src/insertFormats.ts). The files are kept and
 * reused, emptied after each INSERT: creating a file is the dearest kernel work of an INSERT on
 * some file systems (ext4 without a journal: ~1 ms; docs/benchmarks.md, "Engine cost per
 * INSERT"), and the store's scratch dir holds one per INSERT running at once.
 * `thenInto` names more tables INSERTed from the same file after `table`, in order (the embedded
 * store's spans_derive, migration 31), each with the same settings.
 * @example await insertRowBinary(store, { table: 'llmp.spans', columns, bytes, settings: {} });
 */
export async function insertRowBinary(
  store: ClickHouseStore,
  {
    table,
    columns,
    bytes,
    settings,
    thenInto = [],
  }: {
    table: string;
    thenInto?: readonly string[];
    columns: ReadonlyArray<readonly [name: string, type: string]>;
    bytes: Uint8Array;
    settings: ClickHouseSettings;
  },
): Promise<void> {
  if (!store.scratchDir) throw new Error('insertRowBinary needs an embedded store');
  const free = freeScratchFiles.get(store) ?? [];
  freeScratchFiles.set(store, free);
  const path = free.pop() ?? join(store.scratchDir, `${randomUUID()}.rowbinary`);
  const names = columns.map(([name]) => `\`${name}\``);
  await writeFile(path, bytes);
  try {
    const structure = columns.map(([, type], i) => `${names[i]} ${type}`).join(', ');
    for (const into of [table, ...thenInto]) {
      await store.client.command({
        query: `INSERT INTO ${into} (${names.join(', ')}) SELECT * FROM file({path:String}, 'RowBinary', {structure:String})`,
        query_params: { path, structure },
        clickhouse_settings: settings,
      });
    }
  } finally {
    // Emptied, not removed: the payload does not linger on disk, the inode stays for the next.
    await truncate(path, 0).then(
      () => free.push(path),
      () => undefined,
    );
  }
}
