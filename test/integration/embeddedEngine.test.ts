import {
  type ClickHouseStore,
  clickhouseExporter,
  clickhouseExporterConfig,
  migrate,
  openStore,
} from '@llmp/clickhouse';
import { traceBatch } from '@llmp/otlp';
import { stringAttr, testRequest, testSpan } from '@llmp/otlp/testing';
import { ExportError } from '@llmp/pipeline';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/tempDir.ts';

// Its own file: the engine reads its server settings and allocator options once per process.
const dir = tempDir('engine');
const operatorAllocatorConf = process.env.JE_MALLOC_CONF;
let store: ClickHouseStore;
const maxMemory = 200 * 1024 ** 2;

beforeAll(async () => {
  store = await openStore({
    dataDir: dir.path,
    embedded: { maxMemory, freedMemoryDecay: 0, serverSettings: { mark_cache_size: 64 * 1024 ** 2 } },
  });
  await migrate(store);
});
afterAll(async () => {
  await store?.close();
  dir.remove();
});

async function serverSetting(name: string): Promise<string> {
  const result = await store.client.query({
    query: 'SELECT value FROM system.server_settings WHERE name = {name:String}',
    query_params: { name },
    format: 'JSONEachRow',
  });
  return (await result.json<{ value: string }>())[0]!.value;
}

async function spanCount(): Promise<number> {
  const result = await store.client.query({
    query: 'SELECT count() AS n FROM llmp.spans',
    format: 'JSONEachRow',
  });
  return Number((await result.json<{ n: string }>())[0]!.n);
}

describe('embedded engine options', () => {
  it('start the engine with the memory bound and server settings', async () => {
    expect(await serverSetting('max_server_memory_usage')).toBe(String(maxMemory));
    expect(await serverSetting('mark_cache_size')).toBe(String(64 * 1024 ** 2));
  });

  it("set the engine allocator's freed-page decay unless the operator set JE_MALLOC_CONF", async () => {
    const result = await store.client.query({
      query: 'SELECT * FROM system.jemalloc_stats',
      format: 'TabSeparatedRaw',
    });
    const stats = await result.text();
    const decay = /opt\.dirty_decay_ms: (\d+)/.exec(stats)?.[1];
    // Set for the engine only: processes this one starts do not inherit it.
    expect(process.env.JE_MALLOC_CONF).toBe(operatorAllocatorConf);
    if (operatorAllocatorConf === undefined) expect(decay).toBe('0');
  });

  it('refuse an insert past the memory bound as retryable, and keep storing smaller ones', async () => {
    const exporter = clickhouseExporter(
      store,
      { id: 'clickhouse', logger: pino({ level: 'silent' }) },
      clickhouseExporterConfig.parse({ fsync: false }),
    );
    const prompt = 'x'.repeat(4000);
    const spans = (count: number, traceByte: string) =>
      Array.from({ length: count }, (_, i) =>
        testSpan({
          traceId: traceByte.repeat(32),
          spanId: (i + 1).toString(16).padStart(16, '0'),
          attributes: [
            stringAttr('gen_ai.prompt', `${i} ${prompt}`),
            stringAttr('gen_ai.completion', prompt),
          ],
        }),
      );
    const big = traceBatch({ projectId: 'p', request: testRequest(spans(20_000, 'a')) });
    const refused = await exporter.consume(big).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(ExportError);
    expect((refused as ExportError).kind).toBe('retryable');
    // The engine's own words for its bound (MEMORY_LIMIT_EXCEEDED), not some other failure.
    expect(String(((refused as ExportError).cause as Error).message)).toMatch(/memory limit exceeded/);
    expect(await spanCount()).toBe(0);

    await exporter.consume(traceBatch({ projectId: 'p', request: testRequest(spans(100, 'b')) }));
    expect(await spanCount()).toBe(100);
  });

  it('close the engine with the store, so the data dir opens again with other options', async () => {
    await store.close();
    store = await openStore({ dataDir: dir.path });
    expect(await spanCount()).toBe(100);
  });
});
