// Where the time of one 10 000-span part read of a huge trace goes (issue 21, item 5), in process
// over the embedded store: engine query, JSON.parse, records, ordering, StoredSpan, JSON text.
// Keeps the store in PROBE_DIR (default /tmp/hr/store) between runs; the trace is sent once.
import { existsSync } from 'node:fs';
import {
  clickhouseExporter,
  clickhouseExporterConfig,
  migrate,
  openStore,
  readStoredSpans,
  readTrace,
  storeTraceSource,
} from '@llmp/clickhouse';
import { jobStore, linkedTraceSource } from '@llmp/jobs';
import { decodeJsonRequest, traceBatch } from '@llmp/otlp';
import pino from '../../packages/pipeline/node_modules/pino/pino.js';
import { queryApp } from '../../packages/query-api/src/index.ts';
import { partRequest } from '../src/hugeTraceScenario.ts';

const dir = process.env.PROBE_DIR ?? '/tmp/hr/store';
const size = Number(process.env.PROBE_SIZE ?? 30_000);
const traceId = 'feed'.padEnd(32, size === 30_000 ? '3' : '1');
const fresh = !existsSync(dir);
const store = await openStore({ dataDir: dir, embedded: { maxMemory: 2 ** 30 } });
await migrate(store);
if (fresh || process.env.PROBE_INGEST) {
  const exporter = clickhouseExporter(
    store,
    { id: 'clickhouse', logger: pino({ level: 'silent' }) },
    clickhouseExporterConfig.parse({ fsync: false }),
  );
  const t0Ms = Date.now() - 3_600_000;
  for (let first = 0; first < size; first += 2048) {
    const json = JSON.stringify(partRequest(traceId, first, Math.min(2048, size - first), t0Ms, 'probe'));
    await exporter.consume(traceBatch({ projectId: 'default', request: decodeJsonRequest(json) }));
  }
  console.error('ingested', size);
}
const cpu = () => process.cpuUsage();
const timed = async <T>(name: string, f: () => Promise<T> | T): Promise<T> => {
  const c0 = cpu();
  const t0 = performance.now();
  const r = await f();
  const c = process.cpuUsage(c0);
  console.log(
    `${name.padEnd(28)} wall ${(performance.now() - t0).toFixed(0).padStart(5)} ms  cpu(process) ${((c.user + c.system) / 1000).toFixed(0).padStart(5)} ms`,
  );
  return r;
};
const app = queryApp({ source: linkedTraceSource(storeTraceSource(store), jobStore(store)) });
const rounds = Number(process.env.PROBE_ROUNDS ?? 3);
for (let round = 0; round < rounds; round++) {
  console.log(`-- round ${round}`);
  await timed('readStoredSpans part 10 001', () =>
    readStoredSpans(store, 'default', traceId, { limit: 10_001 }),
  );
  const spans = await timed('readTrace part 10 001', () =>
    readTrace(store, 'default', traceId, { limit: 10_001 }),
  );
  await timed('JSON.stringify spans', () => JSON.stringify(spans).length);
  await timed('GET /v1/traces/{id} (app)', async () => {
    const response = await app.request(`/v1/traces/${traceId}`);
    return (await response.text()).length;
  });
}
await store.close();
