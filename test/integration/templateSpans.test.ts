import {
  type ClickHouseStore,
  clickhouseExporter,
  clickhouseExporterConfig,
  migrate,
  storeTraceSource,
} from '@llmp/clickhouse';
import { jobStore } from '@llmp/jobs';
import { traceBatch } from '@llmp/otlp';
import { stringAttr as str, testSpan } from '@llmp/otlp/testing';
import { queryApp } from '@llmp/query-api';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JobsApi, jobsApi } from '../support/jobsApi.ts';
import { tempDir } from '../support/tempDir.ts';
import { openTestStore } from '../support/testStore.ts';

// gen_ai.prompt.name / gen_ai.prompt.version (GenAI registry) name the job template a span's
// prompt came from: GET /v1/templates/{id}/spans finds them.

const dir = tempDir('template-spans');
let store: ClickHouseStore;
let api: JobsApi;
const now = BigInt(Date.now()) * 1_000_000n;

beforeAll(async () => {
  store = await openTestStore(dir.path);
  await migrate(store);
  api = jobsApi(queryApp({ source: storeTraceSource(store), jobs: jobStore(store) }));
  expect(
    (await api.post('/v1/templates', { id: 'tpl-triage', name: 'Triage', prompt: 'Triage this' })).status,
  ).toBe(201);
  const span = (n: number, attributes: ReturnType<typeof str>[]) =>
    testSpan({
      traceId: String(n).repeat(32),
      spanId: String(n).repeat(16),
      name: `chat ${n}`,
      startTimeUnixNano: now - BigInt(n) * 1_000_000_000n,
      endTimeUnixNano: now - BigInt(n) * 1_000_000_000n + 1_000_000n,
      attributes,
    });
  const exporter = clickhouseExporter(
    store,
    { id: 'clickhouse', logger: pino({ level: 'silent' }) },
    clickhouseExporterConfig.parse({ fsync: false }),
  );
  await exporter.consume(
    traceBatch({
      projectId: 'default',
      request: {
        resourceSpans: [
          {
            resource: { attributes: [str('service.name', 'triage-app')], droppedAttributesCount: 0 },
            schemaUrl: '',
            scopeSpans: [
              {
                scope: { name: 's', version: '', attributes: [], droppedAttributesCount: 0 },
                schemaUrl: '',
                spans: [
                  span(1, [str('gen_ai.prompt.name', 'tpl-triage'), str('gen_ai.prompt.version', '1')]),
                  span(2, [str('gen_ai.prompt.name', 'tpl-triage'), str('gen_ai.prompt.version', '2')]),
                  span(3, [str('gen_ai.prompt.name', 'tpl-other')]),
                  span(4, []),
                ],
              },
            ],
          },
        ],
      },
    }),
  );
});

afterAll(async () => {
  await store?.close();
  dir.remove();
});

describe('GET /v1/templates/{id}/spans', () => {
  it('lists the spans whose gen_ai.prompt.name is the template, of one prompt version on request', async () => {
    const all = await api.get('/v1/templates/tpl-triage/spans');
    expect(all.status).toBe(200);
    expect(all.body.spans.map((s: { name: string }) => s.name).sort()).toEqual(['chat 1', 'chat 2']);
    const v2 = await api.get('/v1/templates/tpl-triage/spans?version=2');
    expect(v2.body.spans.map((s: { name: string }) => s.name)).toEqual(['chat 2']);
    // The span search's own filters apply too.
    const other = await api.get('/v1/templates/tpl-triage/spans?service=another-app');
    expect(other.body.spans).toEqual([]);
  });

  it('answers 404 for an unknown template and 400 for a malformed id', async () => {
    expect((await api.get('/v1/templates/tpl-other/spans')).status).toBe(404);
    expect((await api.get('/v1/templates/%20bad%20id/spans')).status).toBe(400);
  });
});
