import { apiKeyAuthenticator, apiKeyLine, apiKeysConfig } from '@llmp/auth';
import { type ClickHouseStore, deleteTrace, migrate, storeTraceSource } from '@llmp/clickhouse';
import { jobStore } from '@llmp/jobs';
import { decodeJsonRequest, traceBatch } from '@llmp/otlp';
import { queryApp } from '@llmp/query-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { genAiIngest } from '../support/genAiIngest.ts';
import { otlpJsonTrace } from '../support/otlpJson.ts';
import { tempDir } from '../support/tempDir.ts';
import { openTestStore } from '../support/testStore.ts';

// Every route the query API serves, with project A's data in the store and project B's keys:
// nothing of A may be read, searched, aggregated or changed (issue 6, "Isolation").

const dir = tempDir('tenancy');
let store: ClickHouseStore;
let app: ReturnType<typeof queryApp>;
const acme = otlpJsonTrace({ spans: 3, service: 'acme-service' });
const from = '2020-01-01T00:00:00Z';
const to = new Date(Date.now() + 3_600_000).toISOString();

const keys = apiKeysConfig.parse({
  apiKeys: [
    apiKeyLine('acme-read', 'acme', 'read'),
    apiKeyLine('acme-admin', 'acme', 'admin'),
    apiKeyLine('globex-read', 'globex', 'read'),
    apiKeyLine('globex-admin', 'globex', 'admin'),
  ],
}).apiKeys;

function call(method: string, path: string, key: string, body?: unknown) {
  return app.request(path, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

beforeAll(async () => {
  store = await openTestStore(dir.path);
  await migrate(store);
  const genai = genAiIngest(store);
  const request = decodeJsonRequest(acme.body);
  for (const span of request.resourceSpans[0]!.scopeSpans[0]!.spans) {
    span.attributes.push({ key: 'llmp.job.id', value: { type: 'string', value: 'acme-job' } });
  }
  await genai.consume(traceBatch({ projectId: 'acme', request }));
  app = queryApp({
    source: storeTraceSource(store),
    jobs: jobStore(store),
    authenticate: apiKeyAuthenticator(keys),
    deletion: {
      deleteTrace: async (projectId, traceId) => (await deleteTrace(store, projectId, traceId)) > 0,
      syncState: () => undefined,
    },
  });
  const created = await call('POST', '/v1/jobs', 'acme-admin', { id: 'acme-job', name: 'Acme summaries' });
  expect(created.status).toBe(201);
});

afterAll(async () => {
  await store?.close();
  dir.remove();
});

describe("another project's keys", () => {
  it('cannot read, search or aggregate its traces', async () => {
    expect((await call('GET', `/v1/traces/${acme.traceId}`, 'acme-read')).status).toBe(200);
    expect((await call('GET', `/v1/traces/${acme.traceId}`, 'globex-read')).status).toBe(404);

    const range = `from=${from}&to=${to}`;
    const own = (await (await call('GET', `/v1/traces?${range}`, 'acme-read')).json()) as {
      traces: Array<{ traceId: string }>;
    };
    expect(own.traces.map((t) => t.traceId)).toContain(acme.traceId);
    for (const path of [
      `/v1/traces?${range}`,
      `/v1/spans?${range}`,
      `/v1/traces?${range}&service=acme-service`,
    ]) {
      const response = await call('GET', path, 'globex-read');
      expect(response.status, path).toBe(200);
      const body = (await response.json()) as { traces?: unknown[]; spans?: unknown[] };
      expect(body.traces ?? body.spans, path).toEqual([]);
    }
    const metrics = (await (
      await call('GET', `/v1/metrics?${range}&groupBy=service`, 'globex-read')
    ).json()) as { rows: unknown[] };
    expect(metrics.rows).toEqual([]);
    const ownMetrics = (await (
      await call('GET', `/v1/metrics?${range}&groupBy=service`, 'acme-read')
    ).json()) as { rows: unknown[] };
    expect(ownMetrics.rows.length).toBe(1);
  });

  it('cannot see or change its jobs', async () => {
    expect((await call('GET', '/v1/jobs/acme-job', 'acme-read')).status).toBe(200);
    expect((await call('GET', '/v1/jobs/acme-job', 'globex-read')).status).toBe(404);
    const list = (await (await call('GET', '/v1/jobs', 'globex-read')).json()) as {
      items: Array<{ id: string }>;
    };
    expect(list.items.map((j) => j.id)).not.toContain('acme-job');
    const ownList = (await (await call('GET', '/v1/jobs', 'acme-read')).json()) as {
      items: Array<{ id: string }>;
    };
    expect(ownList.items.map((j) => j.id)).toContain('acme-job');
    for (const path of [
      '/v1/jobs/acme-job/versions',
      '/v1/jobs/acme-job/events',
      '/v1/jobs/acme-job/traces',
      '/v1/jobs/acme-job/metrics',
      '/v1/jobs/acme-job/logs',
    ]) {
      expect((await call('GET', path, 'globex-read')).status, path).toBe(404);
    }
    expect(
      (await call('PATCH', '/v1/jobs/acme-job', 'globex-admin', { description: 'mine now' })).status,
    ).toBe(404);
    expect((await call('POST', '/v1/jobs/acme-job/pause', 'globex-admin')).status).toBe(404);
    expect(
      (
        await call('POST', '/api/2/auto_eval/pseudo_label_job/get_status', 'globex-read', {
          jobId: 'acme-job',
        })
      ).status,
    ).toBe(404);
    const job = (await (await call('GET', '/v1/jobs/acme-job', 'acme-read')).json()) as {
      status: string;
      version: number;
    };
    expect(job).toMatchObject({ status: 'active', version: 1 });
  });

  it('cannot delete its traces', async () => {
    expect((await call('DELETE', `/v1/traces/${acme.traceId}`, 'globex-admin')).status).toBe(404);
    expect((await call('DELETE', `/v1/traces/${acme.traceId}`, 'acme-read')).status).toBe(403);
    expect((await call('GET', `/v1/traces/${acme.traceId}`, 'acme-read')).status).toBe(200);
  });
});
