import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type ClickHouseStore,
  insertRowBinary,
  migrate,
  migrations,
  openStore,
  type SpanRow,
  spanRowBinary,
  spanRowBinaryColumns,
  spanRows,
} from '@llmp/clickhouse';
import { genAiOf, genAiProcessorFactory } from '@llmp/genai';
import { encodeRequests } from '@llmp/loadgen';
import { type TraceBatch, traceBatch } from '@llmp/otlp';
import { createLogger } from '@llmp/pipeline';
import { tempDir } from '../../test/support/tempDir.ts';
import { median } from './quantiles.ts';

// `pnpm bench insert-formats`: the same realistic span rows (loadgen's LLM traces through the genai
// processor and spanRows) inserted into the embedded store in each way chdb takes them, at several
// batch sizes and settings, runs interleaved so that a busy neighbour slows every variant alike.

/** Loadgen's LLM traces of about `count` spans, normalised by the genai processor. */
export async function realisticBatches(count: number): Promise<TraceBatch[]> {
  const requests = encodeRequests('http/protobuf', { count: Math.ceil(count / 100), tracesPerRequest: 20 });
  const normalised: TraceBatch[] = [];
  const genai = genAiProcessorFactory.create(
    { id: 'genai', logger: createLogger({ level: 'warn' }) },
    genAiProcessorFactory.configSchema.parse({}),
    { consume: async (batch) => void normalised.push(batch) },
  );
  for (const { body } of requests) await genai.consume(traceBatch({ projectId: 'default', bytes: body }));
  return normalised;
}

/** The first batches holding at least `count` spans, and their rows as spanRows builds them. */
function sample(batches: TraceBatch[], count: number): Sample {
  const taken: TraceBatch[] = [];
  let spans = 0;
  for (const batch of batches) {
    if (spans >= count) break;
    taken.push(batch);
    spans += batch.spanCount;
  }
  const rows = taken.flatMap((b) => spanRows(b.projectId, b.request(), (s) => genAiOf(b, s)));
  return { batches: taken, rows };
}

interface Sample {
  batches: TraceBatch[];
  rows: SpanRow[];
}

interface Variant {
  name: string;
  /** Prepares the payload of `rows` (outside the timed insert) and returns the timed insert. */
  prepare(
    sample: Sample,
    token: string,
  ): Promise<{ bytes: number; encodeMs: number; insert: () => Promise<void> }>;
}

/** CPU milliseconds of this process (every thread: the embedded engine's too) since `from`. */
function cpuMs(from?: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(from);
  return (user + system) / 1000;
}

/** Runs `f` and returns its CPU milliseconds (robust on a shared machine, unlike wall time). */
function timed<T>(f: () => T): [T, number] {
  const before = process.cpuUsage();
  const out = f();
  return [out, cpuMs(before)];
}

/** A batch's RowBinary payload, as the exporter encodes it. */
const binaryOf = (b: TraceBatch) =>
  spanRowBinary(b.projectId, b.request(), (s) => genAiOf(b, s), b.spanCount * 2048).bytes;

function variants(store: ClickHouseStore, dir: string, columns: string[]): Variant[] {
  const table = `${store.database}.spans`;
  const raw = store.rawInsert!;
  const jsonEachRow = (rows: SpanRow[]) => Buffer.from(`${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
  const compact = (rows: SpanRow[]) =>
    Buffer.from(`${rows.map((r) => JSON.stringify(columns.map((c) => r[c]))).join('\n')}\n`);
  let files = 0;
  /** A binary payload made by the engine from the rows (its JS encoding is measured apart). */
  async function engineEncoded(rows: SpanRow[], format: string): Promise<Buffer> {
    await store.client.command({ query: 'TRUNCATE TABLE llmp_bench.stage' });
    await raw({ table: 'llmp_bench.stage', values: jsonEachRow(rows), format: 'JSONEachRow' });
    const result = await store.client.exec({ query: `SELECT * FROM llmp_bench.stage FORMAT ${format}` });
    const chunks: Buffer[] = [];
    for await (const chunk of result.stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }
  const viaFile = (format: string, settings: Record<string, string | number> = {}): Variant => ({
    name: `INFILE ${format}${Object.keys(settings).length ? ` ${JSON.stringify(settings)}` : ''}`,
    async prepare({ rows }, token) {
      const body = await engineEncoded(rows, format);
      return {
        bytes: body.length,
        encodeMs: Number.NaN,
        insert: async () => {
          const file = join(dir, `insert-${files++}.bin`);
          writeFileSync(file, body);
          try {
            await store.client.command({
              query: `INSERT INTO ${table} FROM INFILE '${file}' FORMAT ${format}`,
              clickhouse_settings: { insert_deduplication_token: token, ...settings },
            });
          } finally {
            rmSync(file, { force: true });
          }
        },
      };
    },
  });
  const rawVariant = (
    format: 'JSONEachRow' | 'JSONCompactEachRow',
    encode: (rows: SpanRow[]) => Buffer,
    settings: Record<string, string | number> = {},
  ): Variant => ({
    name: `rawInsert ${format}${Object.keys(settings).length ? ` ${JSON.stringify(settings)}` : ''}`,
    async prepare({ rows }, token) {
      const [body, encodeMs] = timed(() => encode(rows));
      return {
        bytes: body.length,
        encodeMs,
        insert: async () => {
          await raw({
            table,
            values: body,
            format,
            ...(format === 'JSONCompactEachRow' ? { columns } : {}),
            settings: { insert_deduplication_token: token, ...settings },
          });
        },
      };
    },
  });
  return [
    {
      name: 'client.insert JSONEachRow (before)',
      async prepare({ rows }, token) {
        // The client serialises inside insert(): its encoding is part of the timed insert.
        return {
          bytes: jsonEachRow(rows).length,
          encodeMs: 0,
          insert: async () => {
            await store.client.insert({
              table,
              values: rows,
              format: 'JSONEachRow',
              clickhouse_settings: { insert_deduplication_token: token },
            });
          },
        };
      },
    },
    rawVariant('JSONEachRow', jsonEachRow),
    rawVariant('JSONCompactEachRow', compact),
    rawVariant('JSONEachRow', jsonEachRow, { input_format_parallel_parsing: 0 }),
    rawVariant('JSONEachRow', jsonEachRow, {
      min_insert_block_size_rows: 1_000_000,
      min_insert_block_size_bytes: 0,
    }),
    {
      name: 'spanRowBinary + INSERT FROM INFILE',
      async prepare({ batches }, token) {
        const [bytes, encodeMs] = timed(() => Buffer.concat(batches.map(binaryOf)));
        const names = spanRowBinaryColumns.map(([name]) => `\`${name}\``);
        return {
          bytes: bytes.length,
          encodeMs,
          insert: async () => {
            const path = join(dir, `insert-${files++}.bin`);
            writeFileSync(path, bytes);
            try {
              await store.client.command({
                query: `INSERT INTO ${table} (${names.join(', ')}) FROM INFILE '${path}' FORMAT RowBinary`,
                clickhouse_settings: { insert_deduplication_token: token },
              });
            } finally {
              rmSync(path, { force: true });
            }
          },
        };
      },
    },
    {
      name: 'spanRowBinary + INSERT SELECT FROM file() (after)',
      async prepare({ batches }, token) {
        // Encoded per batch as the exporter does, then joined: one INSERT of all of them.
        const [bytes, encodeMs] = timed(() =>
          Buffer.concat(
            batches.map((b) => spanRowBinary(b.projectId, b.request(), (s) => genAiOf(b, s)).bytes),
          ),
        );
        return {
          bytes: bytes.length,
          encodeMs,
          insert: () =>
            insertRowBinary(store, {
              table,
              columns: spanRowBinaryColumns,
              bytes,
              settings: { insert_deduplication_token: token },
            }),
        };
      },
    },
    viaFile('RowBinary'),
    viaFile('Native'),
    viaFile('TabSeparated'),
  ];
}

export interface InsertFormatRow {
  batchRows: number;
  variant: string;
  payloadMiB: number;
  /** Median CPU time of building the payload in JS (NaN: made by the engine, not measured). */
  encodeCpuMs: number;
  /** Median wall time of the INSERT... */
  insertMs: number;
  /** ...and the process's CPU time during it (all engine threads). */
  insertCpuMs: number;
  /** Rows per CPU-second of encode + insert. */
  rowsPerCpuSecond: number;
  mibPerSecond: number;
}

/**
 * Times each insert variant on the same rows: `rounds` interleaved passes per batch size, fresh
 * tables before every insert, medians reported.
 */
export async function insertFormatsScenario({
  batchSizes = [2_000, 10_000, 50_000],
  rounds = 3,
  only,
}: {
  batchSizes?: number[];
  rounds?: number;
  /** Runs only the variants whose name matches. */
  only?: RegExp;
} = {}): Promise<InsertFormatRow[]> {
  const dir = tempDir('bench-insert');
  const store = await openStore({ dataDir: `${dir.path}/data` });
  try {
    // The schema before migration 31 (views on spans): each format's INSERT, INFILE ones included,
    // pays the views as it did, one statement per INSERT.
    await migrate(
      store,
      migrations.filter((m) => m.version < 31),
    );
    await store.client.command({ query: 'CREATE DATABASE IF NOT EXISTS llmp_bench' });
    await store.client.command({ query: 'CREATE TABLE llmp_bench.stage AS llmp.spans ENGINE = Memory' });
    const describe = await store.client.query({ query: 'DESCRIBE TABLE llmp.spans', format: 'JSONEachRow' });
    const columns = ((await describe.json()) as Array<{ name: string }>).map((c) => c.name);
    const all = await realisticBatches(Math.max(...batchSizes));
    const out: InsertFormatRow[] = [];
    let token = 0;
    for (const batchRows of batchSizes) {
      const rows = sample(all, batchRows);
      const list = variants(store, dir.path, columns).filter((v) => !only || only.test(v.name));
      let spanCount = batchRows;
      const samples = new Map<
        string,
        { bytes: number; encode: number[]; insert: number[]; insertCpu: number[] }
      >();
      for (let round = 0; round < rounds; round++) {
        for (const variant of list) {
          for (const t of ['spans', 'trace_id_ts', 'trace_jobs'])
            await store.client.command({ query: `TRUNCATE TABLE llmp.${t}` });
          const prepared = await variant.prepare(rows, `bench-${token++}`);
          spanCount = rows.rows.length;
          const t0 = performance.now();
          const cpu0 = process.cpuUsage();
          await prepared.insert();
          const insertMs = performance.now() - t0;
          const insertCpuMs = cpuMs(cpu0);
          const stored = await store.client.query({
            query: 'SELECT count() AS n FROM llmp.spans',
            format: 'JSONEachRow',
          });
          const n = Number(((await stored.json()) as Array<{ n: string }>)[0]!.n);
          if (n !== rows.rows.length)
            throw new Error(`${variant.name} stored ${n} of ${rows.rows.length} rows`);
          const s = samples.get(variant.name) ?? {
            bytes: prepared.bytes,
            encode: [],
            insert: [],
            insertCpu: [],
          };
          s.encode.push(prepared.encodeMs);
          s.insert.push(insertMs);
          s.insertCpu.push(insertCpuMs);
          samples.set(variant.name, s);
        }
      }
      for (const [variant, s] of samples) {
        const insertMs = median(s.insert);
        const encodeMs = median(s.encode);
        const insertCpuMs = median(s.insertCpu);
        const cpuS = (insertCpuMs + (Number.isNaN(encodeMs) ? 0 : encodeMs)) / 1000;
        const row = {
          batchRows: spanCount,
          variant,
          payloadMiB: Math.round((s.bytes / 2 ** 20) * 10) / 10,
          encodeCpuMs: Math.round(encodeMs),
          insertMs: Math.round(insertMs),
          insertCpuMs: Math.round(insertCpuMs),
          rowsPerCpuSecond: Math.round(spanCount / cpuS),
          mibPerSecond: Math.round((s.bytes / 2 ** 20 / (insertMs / 1000)) * 10) / 10,
        };
        out.push(row);
        process.stdout.write(`${JSON.stringify(row)}\n`);
      }
    }
    return out;
  } finally {
    await store.close();
    dir.remove();
  }
}
