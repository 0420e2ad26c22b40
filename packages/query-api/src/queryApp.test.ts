import { apiKeyAuthenticator, apiKeyLine, apiKeysConfig } from '@llmp/auth';
import type { StoredSpan } from '@llmp/clickhouse';
import { Counter, Registry } from '@llmp/pipeline';
import { describe, expect, it } from 'vitest';
import { queryApp, type TraceSource } from './queryApp.ts';

const traceA = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const traceB = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';

/** Spans by project, as the store keeps them; records which project each read asked for. */
function memorySource(): TraceSource & { reads: string[] } {
  const data: Record<string, Record<string, StoredSpan[]>> = {
    acme: { [traceA]: [{ spanId: '1' } as unknown as StoredSpan] },
    globex: { [traceB]: [{ spanId: '2' } as unknown as StoredSpan] },
  };
  const reads: string[] = [];
  return {
    reads,
    async readTrace(projectId, traceId) {
      reads.push(projectId);
      return data[projectId]?.[traceId] ?? [];
    },
    async ping() {},
  };
}

const keys = apiKeysConfig.parse({
  apiKeys: [
    apiKeyLine('acme-read', 'acme', 'read'),
    apiKeyLine('acme-ingest', 'acme', 'ingest'),
    apiKeyLine('acme-admin', 'acme', 'admin'),
    apiKeyLine('globex-read', 'globex', 'read'),
  ],
}).apiKeys;

describe('query API with API keys', () => {
  const source = memorySource();
  const registry = new Registry();
  new Counter({
    name: 'llmp_receiver_accepted_spans_total',
    help: 'Spans a receiver handed on to its pipeline',
    labelNames: ['receiver', 'transport'],
    registers: [registry],
  }).inc({ receiver: 'otlp', transport: 'http' }, 3);
  const app = queryApp({ source, authenticate: apiKeyAuthenticator(keys), registry });
  const get = (path: string, key?: string, header = 'authorization') =>
    app.request(
      path,
      key ? { headers: { [header]: header === 'authorization' ? `Bearer ${key}` : key } } : {},
    );

  it("reads only the key's own project: another project's trace is 404, not 403", async () => {
    expect((await get(`/v1/traces/${traceA}`, 'acme-read')).status).toBe(200);
    expect((await get(`/v1/traces/${traceA}`, 'globex-read', 'x-llmp-api-key')).status).toBe(404);
    expect((await get(`/v1/traces/${traceB}`, 'acme-read')).status).toBe(404);
    expect((await get(`/v1/traces/${traceB}`, 'globex-read')).status).toBe(200);
    expect(source.reads).toEqual(['acme', 'globex', 'acme', 'globex']);
  });

  it('answers 401 with WWW-Authenticate without a key or with an unknown one, 403 for an ingest-only key', async () => {
    const none = await get(`/v1/traces/${traceA}`);
    expect([none.status, none.headers.get('www-authenticate')]).toEqual([401, 'Bearer']);
    expect((await get(`/v1/traces/${traceA}`, 'guess')).status).toBe(401);
    const ingest = await get(`/v1/traces/${traceA}`, 'acme-ingest');
    expect([ingest.status, ingest.headers.get('content-type')]).toEqual([403, 'application/problem+json']);
  });

  it('lets only admin keys change data, on every /v1 and /api route, known or not', async () => {
    const post = (path: string, key: string) =>
      app.request(path, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: '{}' });
    expect((await post('/v1/jobs', 'acme-read')).status).toBe(403);
    expect((await post('/api/2/other', 'acme-read')).status).toBe(403);
    // The auto_eval status call is a read sent as a POST: a read key passes the check (this app
    // serves no jobs routes, so it then gets 404), a key of no role does not.
    expect((await post('/api/2/auto_eval/pseudo_label_job/get_status', 'acme-read')).status).toBe(404);
    // Past the check, an admin reaches routing (this app has no /v1/jobs: 404).
    expect((await post('/v1/jobs', 'acme-admin')).status).toBe(404);
  });

  it('refuses request bodies over 1 MiB with 413, after the key check', async () => {
    const big = 'x'.repeat(1024 ** 2 + 1);
    const post = (key: string) =>
      app.request('/v1/jobs', { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: big });
    expect((await post('acme-read')).status).toBe(403);
    expect((await post('acme-admin')).status).toBe(413);
  });

  it('keeps /healthz, /readyz, /openapi.json and /metrics open, and serves the registry', async () => {
    for (const path of ['/healthz', '/readyz', '/openapi.json']) expect((await get(path)).status).toBe(200);
    const metrics = await get('/metrics');
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain(
      'llmp_receiver_accepted_spans_total{receiver="otlp",transport="http"} 3',
    );
  });
});

describe('query API without keys', () => {
  it('serves everything as project default', async () => {
    const source = memorySource();
    const app = queryApp({ source });
    expect((await app.request(`/v1/traces/${traceA}`)).status).toBe(404);
    expect(source.reads).toEqual(['default']);
    expect((await app.request('/metrics')).status).toBe(404);
  });
});

describe('query API before a read', () => {
  it('runs beforeRead (the embedded store derives what waits) before each API route, not before health', async () => {
    const source = memorySource();
    const order: string[] = [];
    const app = queryApp({
      source: {
        ...source,
        async readTrace(projectId, traceId) {
          order.push('read');
          return source.readTrace(projectId, traceId);
        },
      },
      beforeRead: async () => {
        order.push('derive');
      },
    });
    expect((await app.request(`/v1/traces/${traceA}`)).status).toBe(404);
    expect(order).toEqual(['derive', 'read']);
    expect((await app.request('/healthz')).status).toBe(200);
    expect(order).toEqual(['derive', 'read']);
  });
});

describe('query API over a failing store', () => {
  // As a trace part read past its per-read max_memory_usage, or a busy engine, fails.
  const failing: TraceSource = {
    async readTrace() {
      throw new Error('Memory limit (for query) exceeded');
    },
    async ping() {
      throw new Error('engine busy');
    },
  };
  const app = queryApp({ source: failing });

  it('answers 503 with Retry-After in whole seconds and the same problem JSON', async () => {
    const res = await app.request(`/v1/traces/${traceA}`);
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const seconds = Number(res.headers.get('retry-after'));
    expect(Number.isInteger(seconds) && seconds >= 1 && seconds <= 5).toBe(true);
    expect(await res.json()).toEqual({
      type: 'about:blank',
      title: 'Store unavailable',
      status: 503,
      detail: 'the query could not be answered; try again',
    });
  });

  it('answers /readyz 503 with Retry-After too', async () => {
    const res = await app.request('/readyz');
    expect(res.status).toBe(503);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await res.json()).toEqual({ status: 'unavailable', reason: 'engine busy' });
  });
});
