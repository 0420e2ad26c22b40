import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type ClickHouseStore,
  clickhouseExporter,
  clickhouseExporterConfig,
  engineMetrics,
  flushDerives,
  migrate,
  openStore,
  type SpansDeriverOptions,
  spanRowBinary,
  spanRowBinaryColumns,
  spansDeriver,
  storeDeriver,
} from '@llmp/clickhouse';
import { type Span, type TraceRequest, traceBatch } from '@llmp/otlp';
import { stringAttr, testRequest, testSpan } from '@llmp/otlp/testing';
import { Registry } from '@llmp/pipeline';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue } from '../support/selfMetric.ts';
import { tempDir } from '../support/tempDir.ts';

// The embedded store alone (migration 31): payloads INSERTed into spans, derived later.
const dir = tempDir('deriver');
let store: ClickHouseStore;

beforeAll(async () => {
  store = await openStore({ dataDir: join(dir.path, 'data') });
  await migrate(store);
});
afterAll(async () => {
  await store?.close();
  dir.remove();
});

const options = (name: string, more: Partial<SpansDeriverOptions> = {}): SpansDeriverOptions => ({
  dir: join(dir.path, name),
  table: 'llmp.spans',
  deriveTable: 'llmp.spans_derive',
  columns: spanRowBinaryColumns,
  maxPendingBytes: 64 * 1024 ** 2,
  maxPayloads: 8,
  ...more,
});

/** `count` spans named `name` in `traces` traces, each trace with the job `job-<name>`. */
const request = (name: string, count: number, traces = 1, first = 0): TraceRequest =>
  testRequest(
    Array.from(
      { length: count },
      (_, i): Span =>
        testSpan({
          traceId: `${Buffer.from(name).toString('hex').padEnd(24, '0').slice(0, 24)}${(i % traces).toString(16).padStart(8, '0')}`,
          spanId: (first + i + 1).toString(16).padStart(16, '0'),
          name,
          startTimeUnixNano: 1_700_000_000_000_000_000n + BigInt(i) * 1_000_000n,
          endTimeUnixNano: 1_700_000_000_500_000_000n + BigInt(i) * 1_000_000n,
          attributes: [stringAttr('llmp.job.id', `job-${name}`)],
        }),
    ),
    { resource: [stringAttr('service.name', 'deriver-test')], scopeName: 'x' },
  );

const payload = (name: string, count: number, traces = 1, first = 0) =>
  spanRowBinary('p1', request(name, count, traces, first)).bytes;

async function one(query: string, name: string): Promise<number> {
  const result = await store.client.query({ query, query_params: { name }, format: 'JSONEachRow' });
  return Number((await result.json<{ n: string }>())[0]!.n);
}

/** What each table holds of the spans named `name`. */
async function counted(name: string) {
  return {
    spans: await one('SELECT count() AS n FROM llmp.spans WHERE SpanName = {name:String}', name),
    trace_search_spans: await one(
      `SELECT sum(spans) AS n FROM llmp.trace_search WHERE has(jobs, 'job-' || {name:String})`,
      name,
    ),
    trace_search_traces: await one(
      `SELECT uniqExact(TraceId) AS n FROM llmp.trace_search WHERE has(jobs, 'job-' || {name:String})`,
      name,
    ),
    trace_job_usage: await one(
      `SELECT sum(spans) AS n FROM llmp.trace_job_usage WHERE job_id = 'job-' || {name:String}`,
      name,
    ),
    span_metrics_hourly: await one(
      'SELECT sum(spans) AS n FROM llmp.span_metrics_hourly WHERE SpanName = {name:String}',
      name,
    ),
    // A row per trace and INSERT until merges collapse them: count the traces.
    trace_jobs: await one(
      `SELECT uniqExact(TraceId) AS n FROM llmp.trace_jobs WHERE job_id = 'job-' || {name:String}`,
      name,
    ),
  };
}

/** As the exporter will: stage, INSERT into spans from the staged file, then mark it stored. */
async function store1(deriver: ReturnType<typeof spansDeriver>, token: string, bytes: Uint8Array) {
  const staged = await deriver.stage(token, bytes);
  await store.client.command({
    query: `INSERT INTO llmp.spans SELECT * FROM file({path:String}, 'RowBinary', {structure:String})`,
    query_params: {
      path: staged.path,
      structure: spanRowBinaryColumns.map(([name, type]) => `\`${name}\` ${type}`).join(', '),
    },
    clickhouse_settings: { insert_deduplication_token: token },
  });
  await staged.stored();
}

/**
 * The real store, with `before` run ahead of every INSERT into spans_derive (a derive): to hold
 * one, or to fail it as the engine would.
 */
function beforeDerives(before: () => Promise<void> | void): ClickHouseStore {
  return {
    ...store,
    client: new Proxy(store.client, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (key !== 'command') return typeof value === 'function' ? value.bind(target) : value;
        return async (params: { query: string }) => {
          if (params.query.includes('spans_derive')) await before();
          return target.command(params as Parameters<typeof target.command>[0]);
        };
      },
    }),
  };
}

describe('the spans deriver', () => {
  it('fills the derived tables as the per-INSERT path does for the same spans, once per derive', async () => {
    // Per INSERT: the exporter (spans, then spans_derive, each batch).
    const exporter = clickhouseExporter(
      store,
      { id: 'clickhouse', logger: pino({ level: 'silent' }) },
      clickhouseExporterConfig.parse({}),
    );
    for (let i = 0; i < 4; i++)
      await exporter.consume(traceBatch({ projectId: 'p1', request: request('perinsert', 50, 5, i * 50) }));
    // Deferred: four payloads of the same shape, derived together.
    const deriver = spansDeriver(store, options('equal'));
    for (let i = 0; i < 4; i++) await store1(deriver, `equal-${i}`, payload('deferred', 50, 5, i * 50));
    expect(deriver.pendingBytes).toBeGreaterThan(0);
    expect((await counted('deferred')).trace_search_spans).toBe(0);
    await deriver.derive();
    expect(deriver.pendingBytes).toBe(0);
    expect(deriver.counts).toMatchObject({ derives: 1, derivedPayloads: 4, failures: 0 });
    const perInsert = await counted('perinsert');
    expect(perInsert).toEqual({
      spans: 200,
      trace_search_spans: 200,
      trace_search_traces: 5,
      trace_job_usage: 200,
      span_metrics_hourly: 200,
      trace_jobs: 5,
    });
    expect(await counted('deferred')).toEqual(perInsert);
    expect(readdirSync(options('equal').dir).filter((n) => n.startsWith('derive-'))).toEqual([]);
  });

  it('counts a derive a crash left half done once when a restart derives it again', async () => {
    const before = spansDeriver(store, options('replay'));
    for (let i = 0; i < 3; i++) await store1(before, `replay-${i}`, payload('replay', 10, 2, i * 10));
    // A crash after the derive's INSERT, before its directory was removed.
    const { dir: root } = options('replay');
    const name = 'derive-000000000000001-crashed';
    mkdirSync(join(root, name));
    for (const f of readdirSync(join(root, 'pending')))
      renameSync(join(root, 'pending', f), join(root, name, f));
    await store.client.command({
      query: `INSERT INTO llmp.spans_derive SELECT * FROM file({path:String}, 'RowBinary', {structure:String})`,
      query_params: {
        path: join(root, name, '*.rowbinary'),
        structure: spanRowBinaryColumns.map(([n, type]) => `\`${n}\` ${type}`).join(', '),
      },
      clickhouse_settings: {
        insert_deduplication_token: name,
        deduplicate_blocks_in_dependent_materialized_views: 1,
      },
    });
    const after = spansDeriver(store, options('replay'));
    await after.recover();
    expect(existsSync(join(root, name))).toBe(false);
    expect(after.counts).toMatchObject({ derives: 1, derivedPayloads: 3 });
    // Its batches delivered again (Kafka offsets not committed before the crash): stored and derived once.
    await after.insert('replay-1', payload('replay', 10, 2, 10));
    expect(after.pendingPayloads).toBe(0);
    await after.derive();
    expect(await counted('replay')).toMatchObject({
      spans: 30,
      trace_search_spans: 30,
      span_metrics_hourly: 30,
    });
  });

  it('stores and derives once a payload whose token comes again while it waits, after its derive, and after a restart', async () => {
    const token = 'otlp_spans/0/100-180/p1';
    const again = () => payload('ledger', 10, 2);
    const first = spansDeriver(store, options('ledger', { ledgerSize: 4 }));
    await first.insert(token, again());
    await first.insert(token, again());
    expect(first.pendingPayloads).toBe(1);
    await first.derive();
    await first.insert(token, again());
    expect(first.pendingPayloads).toBe(0);
    const restarted = spansDeriver(store, options('ledger', { ledgerSize: 4 }));
    await restarted.recover();
    await restarted.insert(token, again());
    expect(restarted.pendingPayloads).toBe(0);
    await restarted.derive();
    expect(await counted('ledger')).toEqual({
      spans: 10,
      trace_search_spans: 10,
      trace_search_traces: 2,
      trace_job_usage: 10,
      span_metrics_hourly: 10,
      trace_jobs: 2,
    });
    // What it remembers is bounded: the newest tokens (as many as the spans' deduplication window).
    for (let i = 0; i < 12; i++) {
      await restarted.insert(`ledger-more-${i}`, payload('ledgermore', 1, 1, i));
      await restarted.derive();
    }
    const remembered = readFileSync(join(options('ledger').dir, 'derived.log'), 'utf8')
      .trim()
      .split('\n');
    expect(remembered.length).toBeLessThanOrEqual(8);
    expect(remembered.at(-1)).toBe(`${Buffer.from('ledger-more-11').toString('base64url')}.rowbinary`);
    expect(await counted('ledgermore')).toMatchObject({ spans: 12, trace_search_spans: 12 });
  });

  it('derives at once, with its INSERT, a payload whose token is too long to name its file', async () => {
    const deriver = spansDeriver(store, options('longtoken'));
    const token = `${'t'.repeat(240)}/0/1-2/p1`;
    await deriver.insert(token, payload('longtoken', 5, 1));
    await deriver.insert(token, payload('longtoken', 5, 1));
    expect(deriver.pendingPayloads).toBe(0);
    expect(await counted('longtoken')).toMatchObject({
      spans: 5,
      trace_search_spans: 5,
      span_metrics_hourly: 5,
    });
  });

  it('stores and derives once a payload a crash left staged, whether or not its INSERT into spans ran', async () => {
    const before = spansDeriver(store, options('staged'));
    // INSERTed into spans, crashed before the rename.
    const inserted = await before.stage('staged-inserted', payload('staged', 6, 2));
    await store.client.command({
      query: `INSERT INTO llmp.spans SELECT * FROM file({path:String}, 'RowBinary', {structure:String})`,
      query_params: {
        path: inserted.path,
        structure: spanRowBinaryColumns.map(([n, type]) => `\`${n}\` ${type}`).join(', '),
      },
      clickhouse_settings: { insert_deduplication_token: 'staged-inserted' },
    });
    // Crashed before its INSERT.
    await before.stage('staged-written', payload('staged', 4, 1, 100));
    // And one stored, not yet derived.
    await store1(before, 'staged-stored', payload('staged', 5, 1, 200));
    expect((await counted('staged')).spans).toBe(11);
    const after = spansDeriver(store, options('staged'));
    await after.recover();
    expect(await counted('staged')).toMatchObject({
      spans: 15,
      trace_search_spans: 15,
      trace_job_usage: 15,
      span_metrics_hourly: 15,
    });
    expect(readdirSync(join(options('staged').dir, 'pending'))).toEqual([]);
  });

  it('starts past a staged payload a crash cut short while it was written: moved aside, never stored', async () => {
    const before = spansDeriver(store, options('stagedcut'));
    const bytes = payload('stagedcut', 4, 1);
    const cut = await before.stage('stagedcut-0', bytes);
    writeFileSync(cut.path, bytes.subarray(0, bytes.length - 5));
    await store1(before, 'stagedcut-1', payload('stagedwhole', 3, 1));
    const after = spansDeriver(store, options('stagedcut'));
    await after.recover();
    expect(readdirSync(join(options('stagedcut').dir, 'failed'))).toEqual([cut.path.split('/').pop()]);
    expect(after.counts).toMatchObject({ derives: 1, derivedPayloads: 1, quarantinedPayloads: 1 });
    expect(await counted('stagedcut')).toMatchObject({ spans: 0, trace_search_spans: 0 });
    expect(await counted('stagedwhole')).toMatchObject({ spans: 3, trace_search_spans: 3 });
  });

  it('derives before admitting more past its bound, and everything at close; never drops', async () => {
    const bytes = payload('bound', 20, 2);
    const deriver = spansDeriver(
      store,
      options('bound', { maxPendingBytes: 2 * bytes.length, maxPayloads: 2 }),
    );
    let derivedAtAdmit = 0;
    for (let i = 0; i < 7; i++) {
      await store1(deriver, `bound-${i}`, payload('bound', 20, 2, i * 20));
      const pendingBefore = deriver.pendingBytes;
      await deriver.admit();
      if (deriver.pendingBytes < pendingBefore) derivedAtAdmit++;
      expect(deriver.pendingBytes).toBeLessThanOrEqual(2 * bytes.length);
    }
    expect(derivedAtAdmit).toBe(2); // at the third and the sixth payload
    expect((await counted('bound')).trace_search_spans).toBe(120);
    await deriver.close();
    await deriver.close();
    expect(await counted('bound')).toMatchObject({
      spans: 140,
      trace_search_spans: 140,
      span_metrics_hourly: 140,
    });
    // Twice three payloads past the bound, each time in derives of at most two; the last at close.
    expect(deriver.counts).toMatchObject({ derives: 5, derivedPayloads: 7, failures: 0 });
  });

  it('derives every interval once started', async () => {
    const deriver = spansDeriver(store, options('interval'));
    deriver.start(50);
    await store1(deriver, 'interval-0', payload('interval', 8, 2));
    for (let i = 0; i < 100 && deriver.counts.derives === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(deriver.counts.derives).toBe(1);
    expect((await counted('interval')).trace_search_spans).toBe(8);
    await deriver.close();
  });

  it('moves aside a directory the engine cannot read after its attempts, logs it, and derives the payloads after it', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const deriver = spansDeriver(store, { ...options('poison'), maxAttempts: 2, logger });
    await store1(deriver, 'poison-good-0', payload('poisongood', 6, 2));
    // A derive that failed, its directory left: one payload in it cut in the middle of a row.
    const { dir: root } = options('poison');
    const poisoned = 'derive-000000000000001-poisoned';
    mkdirSync(join(root, poisoned));
    const bytes = payload('poisoned', 4, 1);
    writeFileSync(join(root, poisoned, 'cut.rowbinary'), bytes.subarray(0, bytes.length - 7));
    await deriver.recover();
    // At start: the first attempt failed, nothing after it derived, the start went on.
    expect(deriver.counts).toMatchObject({ derives: 0, failures: 1, quarantined: 0 });
    expect(deriver.pendingPayloads).toBe(2);
    expect(deriver.pendingBytes).toBeGreaterThan(bytes.length - 7);
    expect((await counted('poisongood')).trace_search_spans).toBe(0);
    await store1(deriver, 'poison-good-1', payload('poisongood', 3, 1, 100));
    await deriver.derive();
    expect(deriver.counts).toMatchObject({
      derives: 1,
      derivedPayloads: 2,
      failures: 2,
      quarantined: 1,
      quarantinedPayloads: 1,
    });
    expect(deriver.pendingBytes).toBe(0);
    expect(deriver.pendingPayloads).toBe(0);
    expect(readdirSync(join(root, 'failed', poisoned))).toEqual(['cut.rowbinary']);
    expect(existsSync(join(root, poisoned))).toBe(false);
    expect(await counted('poisongood')).toMatchObject({
      spans: 9,
      trace_search_spans: 9,
      span_metrics_hourly: 9,
    });
    expect(await counted('poisoned')).toMatchObject({ trace_search_spans: 0 });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ path: join(root, 'failed', poisoned), payloads: 1, attempts: 2 });
    expect(String(lines[0]!.msg)).toContain('spans are stored');
  });

  it('derives what waits when a derive starts, and leaves what is stored meanwhile to the next', async () => {
    // Under steady intake a derive that took every payload stored while it ran would derive each
    // INSERT's payload alone: the per-INSERT cost the deriver exists to save.
    let entered!: () => void;
    const inDerive = new Promise<void>((r) => {
      entered = r;
    });
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const held = beforeDerives(async () => {
      entered();
      await gate;
    });
    const deriver = spansDeriver(held, options('steady'));
    await store1(deriver, 'steady-0', payload('steady', 4, 1));
    const first = deriver.derive();
    await inDerive;
    await store1(deriver, 'steady-1', payload('steady', 6, 1, 4));
    release();
    await first;
    expect(deriver.counts).toMatchObject({ derives: 1, derivedPayloads: 1 });
    expect(deriver.pendingPayloads).toBe(1);
    expect((await counted('steady')).trace_search_spans).toBe(4);
    await deriver.derive();
    expect(deriver.counts).toMatchObject({ derives: 2, derivedPayloads: 2 });
    expect(await counted('steady')).toMatchObject({ spans: 10, trace_search_spans: 10 });
  });

  it('retries a derive that failed for the engine, not the data, past its attempts, then derives it once', async () => {
    // The engine out of disk space for the derive INSERTs: the real store for everything else.
    let refusals = 5;
    const full = beforeDerives(() => {
      if (refusals-- > 0)
        throw Object.assign(new Error('Cannot reserve 1.00 MiB, not enough space'), { code: '243' });
    });
    const deriver = spansDeriver(full, { ...options('transient'), maxAttempts: 2, maxPendingBytes: 1 });
    await store1(deriver, 'transient-0', payload('transient', 5, 1));
    for (let i = 0; i < 5; i++) {
      // Past the bound: admit derives, and fails while the engine does (backpressure).
      await expect(deriver.admit()).rejects.toThrow('not enough space');
      expect(deriver.pendingPayloads).toBe(1);
    }
    await deriver.admit();
    expect(deriver.counts).toMatchObject({ derives: 1, derivedPayloads: 1, failures: 5, quarantined: 0 });
    expect(deriver.pendingBytes).toBe(0);
    expect(existsSync(join(options('transient').dir, 'failed'))).toBe(false);
    expect(await counted('transient')).toMatchObject({
      spans: 5,
      trace_search_spans: 5,
      span_metrics_hourly: 5,
    });
  });

  describe('in the exporter', () => {
    const logger = pino({ level: 'silent' });
    /** The store with its own derive dir and interval: a new object, so a deriver of its own. */
    const withDerive = (name: string, interval: number): ClickHouseStore => ({
      ...store,
      derive: { dir: join(dir.path, name), interval, maxPendingBytes: 64 * 1024 ** 2 },
    });
    const exporterOn = (on: ClickHouseStore) =>
      clickhouseExporter(on, { id: 'clickhouse', logger }, clickhouseExporterConfig.parse({}));
    const batch = (name: string, count: number, dedupToken?: string) =>
      traceBatch({
        projectId: 'p1',
        request: request(name, count, 2),
        meta: dedupToken ? { dedupToken } : {},
      });
    const pendingFiles = (name: string) => readdirSync(join(dir.path, name, 'pending'));

    it('with an interval, answers with spans stored and derives at shutdown, batches with a token (a Kafka redelivery: its repeat dropped) or without', async () => {
      const exporter = exporterOn(withDerive('exporter-interval', 60_000));
      await exporter.start();
      await exporter.consume(batch('later', 10, 'otlp_spans/0/1-2/p1'));
      await exporter.consume(batch('later', 10, 'otlp_spans/0/1-2/p1'));
      await exporter.consume(batch('later', 6));
      expect(await counted('later')).toMatchObject({
        spans: 16,
        trace_search_spans: 0,
        span_metrics_hourly: 0,
      });
      expect(pendingFiles('exporter-interval')).toHaveLength(2);
      await exporter.shutdown();
      expect(await counted('later')).toMatchObject({
        spans: 16,
        trace_search_spans: 16,
        trace_job_usage: 16,
        span_metrics_hourly: 16,
        trace_jobs: 2,
      });
      expect(pendingFiles('exporter-interval')).toEqual([]);
    });

    it('with interval 0, derives each batch before answering', async () => {
      const exporter = exporterOn(withDerive('exporter-zero', 0));
      await exporter.start();
      await exporter.consume(batch('atonce', 12));
      expect(await counted('atonce')).toMatchObject({
        spans: 12,
        trace_search_spans: 12,
        span_metrics_hourly: 12,
      });
      expect(pendingFiles('exporter-zero')).toEqual([]);
      await exporter.shutdown();
    });

    it('derives what waits when the query API flushes before a read, nothing when nothing waits', async () => {
      const on = withDerive('exporter-flush', 60_000);
      const exporter = exporterOn(on);
      await exporter.start();
      await exporter.consume(batch('flushed', 7));
      expect(await counted('flushed')).toMatchObject({ spans: 7, trace_search_spans: 0 });
      await flushDerives(on);
      expect(await counted('flushed')).toMatchObject({
        spans: 7,
        trace_search_spans: 7,
        span_metrics_hourly: 7,
      });
      const deriver = await storeDeriver(on);
      expect(deriver?.counts.derives).toBe(1);
      await flushDerives(on);
      expect(deriver?.counts.derives).toBe(1);
      await exporter.shutdown();
    });

    it("puts the deriver on the store's metrics: pending, its oldest, then derives, payloads, bytes and durations", async () => {
      const on = withDerive('exporter-metrics', 60_000);
      const registry = new Registry();
      engineMetrics(on, registry);
      const value = async (name: string) => metricValue(await registry.metrics(), name);
      expect(await value('llmp_store_derive_pending_payloads')).toBe(0);
      const exporter = exporterOn(on);
      await exporter.start();
      await exporter.consume(batch('metered', 5));
      await exporter.consume(batch('metered', 4));
      await new Promise((r) => setTimeout(r, 50));
      expect(await value('llmp_store_derive_pending_payloads')).toBe(2);
      const pendingBytes = await value('llmp_store_derive_pending_bytes');
      expect(pendingBytes).toBeGreaterThan(0);
      expect(await value('llmp_store_derive_oldest_pending_seconds')).toBeGreaterThanOrEqual(0.05);
      expect(await value('llmp_store_derives_total')).toBe(0);
      await flushDerives(on);
      expect(await value('llmp_store_derive_pending_payloads')).toBe(0);
      expect(await value('llmp_store_derive_pending_bytes')).toBe(0);
      expect(await value('llmp_store_derive_oldest_pending_seconds')).toBe(0);
      expect(await value('llmp_store_derives_total')).toBe(1);
      expect(await value('llmp_store_derived_payloads_total')).toBe(2);
      expect(await value('llmp_store_derived_bytes_total')).toBe(pendingBytes);
      expect(await value('llmp_store_derive_failures_total')).toBe(0);
      expect(await value('llmp_store_derive_quarantined_payloads_total')).toBe(0);
      expect(await value('llmp_store_derive_duration_seconds_count')).toBe(1);
      expect(await value('llmp_store_derive_duration_seconds_sum')).toBeGreaterThan(0);
      await exporter.shutdown();
    });

    it('derives every interval for an exporter started on the store after another stopped, and while another runs', async () => {
      const on = withDerive('exporter-again', 50);
      const waitDerived = async (name: string, spans: number) => {
        for (let i = 0; i < 100 && (await counted(name)).trace_search_spans < spans; i++)
          await new Promise((r) => setTimeout(r, 20));
        return counted(name);
      };
      const first = exporterOn(on);
      await first.start();
      await first.shutdown();
      const second = exporterOn(on);
      await second.start();
      await second.consume(batch('again', 4));
      expect(await waitDerived('again', 4)).toMatchObject({ spans: 4, trace_search_spans: 4 });
      // Two on the store: the first to stop leaves the interval to the other.
      const third = exporterOn(on);
      await third.start();
      await third.shutdown();
      await second.consume(batch('stillderived', 3));
      expect(await waitDerived('stillderived', 3)).toMatchObject({ spans: 3, trace_search_spans: 3 });
      await second.shutdown();
    });

    it('starts and shuts down past a directory the engine cannot read, leaving it for its later attempts', async () => {
      const on = withDerive('exporter-poisoned', 60_000);
      const poisoned = join(dir.path, 'exporter-poisoned', 'derive-000000000000001-poisoned');
      mkdirSync(poisoned, { recursive: true });
      const bytes = payload('exporterpoisoned', 4, 1);
      writeFileSync(join(poisoned, 'cut.rowbinary'), bytes.subarray(0, bytes.length - 7));
      const exporter = exporterOn(on);
      await exporter.start();
      await exporter.consume(batch('exporterpoisonedgood', 3));
      await exporter.shutdown();
      const deriver = await storeDeriver(on);
      // Once at start, once at shutdown: fewer than its three attempts, so still under derive/.
      expect(deriver?.counts).toMatchObject({ failures: 2, quarantined: 0 });
      expect(existsSync(poisoned)).toBe(true);
      expect(await counted('exporterpoisonedgood')).toMatchObject({ spans: 3, trace_search_spans: 0 });
    });

    it('derives at start what a process that stopped without shutdown left', async () => {
      const crashed = exporterOn(withDerive('exporter-restart', 60_000));
      await crashed.start();
      await crashed.consume(batch('leftover', 9));
      expect(await counted('leftover')).toMatchObject({ spans: 9, trace_search_spans: 0 });
      const restarted = exporterOn(withDerive('exporter-restart', 60_000));
      await restarted.start();
      expect(await counted('leftover')).toMatchObject({
        spans: 9,
        trace_search_spans: 9,
        span_metrics_hourly: 9,
      });
      await restarted.shutdown();
    });
  });
});
