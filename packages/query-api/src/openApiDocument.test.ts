import { describe, expect, it } from 'vitest';
import { jobsOpenApiPaths } from './jobsOpenApiPaths.ts';
import { logsOpenApiPaths } from './logsOpenApi.ts';
import { openApiDocument } from './openApiDocument.ts';
import { otelMetricsOpenApiPaths } from './otelMetricsOpenApi.ts';
import { queryApp } from './queryApp.ts';
import { metricsParams, searchParams, sessionsParams } from './searchQuery.ts';
import { traceOutlineOpenApiPaths } from './traceOutlineOpenApi.ts';
import { withRetryableAnswers } from './withRetryableAnswers.ts';

type Operation = { parameters: Array<{ name: string; schema: Record<string, unknown> }> };
const paths = openApiDocument.paths as unknown as Record<string, { get: Operation }>;

describe('OpenAPI document', () => {
  it('describes the search and metrics routes with the parameters their schemas validate', () => {
    for (const path of ['/v1/traces', '/v1/spans']) {
      expect(paths[path]!.get.parameters.map((p) => p.name)).toEqual(Object.keys(searchParams.shape));
    }
    expect(paths['/v1/metrics']!.get.parameters.map((p) => p.name)).toEqual(Object.keys(metricsParams.shape));
    expect(paths['/v1/sessions']!.get.parameters.map((p) => p.name)).toEqual(
      Object.keys(sessionsParams.shape),
    );
    const limit = paths['/v1/traces']!.get.parameters.find((p) => p.name === 'limit')!;
    expect(limit.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 500, default: 50 });
    const spanType = paths['/v1/spans']!.get.parameters.find((p) => p.name === 'spanType')!;
    expect(spanType.schema.enum).toContain('retriever');
  });

  it('is served at /openapi.json', async () => {
    const app = queryApp({ source: { readTrace: async () => [], ping: async () => {} } });
    const served = (await (await app.request('/openapi.json')).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(served.paths)).toEqual(
      expect.arrayContaining(['/v1/traces', '/v1/spans', '/v1/metrics']),
    );
  });

  it('declares the bearer API-key scheme and every /v1 and /api operation requires it', async () => {
    const app = queryApp({ source: { readTrace: async () => [], ping: async () => {} } });
    const served = (await (await app.request('/openapi.json')).json()) as {
      components: { securitySchemes: Record<string, { type: string; scheme: string }> };
      paths: Record<string, Record<string, { security?: Array<Record<string, string[]>> }>>;
    };
    expect(served.components.securitySchemes).toEqual({
      apiKey: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
    });
    const operations = Object.entries(served.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ path, method, security: op.security })),
    );
    const guarded = operations.filter((o) => o.path.startsWith('/v1/') || o.path.startsWith('/api/'));
    expect(guarded.length).toBeGreaterThan(3);
    for (const op of guarded) expect(op.security, `${op.method} ${op.path}`).toEqual([{ apiKey: [] }]);
    expect(served.paths['/healthz']!.get!.security).toEqual([]);
  });
});

describe('OpenAPI retryable answers', () => {
  type Response = { headers?: Record<string, unknown> };
  async function servedOperations() {
    const app = queryApp({ source: { readTrace: async () => [], ping: async () => {} } });
    const served = (await (await app.request('/openapi.json')).json()) as {
      components: { headers?: Record<string, { schema?: { type?: string } }> };
      paths: Record<string, Record<string, { responses: Record<string, Response> }>>;
    };
    const operations = Object.entries(served.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({
        name: `${method} ${path}`,
        path,
        responses: op.responses,
      })),
    );
    return { served, operations };
  }

  it('documents Retry-After on every 503 and 429 (RFC 9110 §10.2.3)', async () => {
    const { served, operations } = await servedOperations();
    const retryable = operations.flatMap((op) =>
      ['503', '429'].filter((code) => op.responses[code]).map((code) => ({ ...op, code })),
    );
    expect(retryable.map((op) => op.name)).toContain('get /readyz');
    for (const op of retryable) {
      expect(op.responses[op.code]!.headers, `${op.code} of ${op.name}`).toEqual({
        'Retry-After': { $ref: '#/components/headers/RetryAfter' },
      });
    }
    expect(served.components.headers?.RetryAfter?.schema?.type).toBe('integer');
  });

  it('documents the 503 every /v1 and /api route answers when the store fails', async () => {
    const { operations } = await servedOperations();
    const guarded = operations.filter((o) => o.path.startsWith('/v1/') || o.path.startsWith('/api/'));
    expect(guarded.length).toBeGreaterThan(3);
    for (const op of guarded) expect(Object.keys(op.responses), op.name).toContain('503');
  });

  it('covers the optional job, log, metric and outline routes too', () => {
    const document = withRetryableAnswers({
      paths: {
        ...jobsOpenApiPaths(),
        ...logsOpenApiPaths(),
        ...otelMetricsOpenApiPaths(),
        ...traceOutlineOpenApiPaths(),
      } as Record<string, Record<string, unknown>>,
    });
    const operations = Object.values(document.paths).flatMap((ops) => Object.values(ops));
    expect(operations.length).toBeGreaterThan(10);
    for (const op of operations as Array<{ responses: Record<string, { headers?: unknown }> }>) {
      expect(op.responses['503']?.headers).toEqual({
        'Retry-After': { $ref: '#/components/headers/RetryAfter' },
      });
    }
  });
});
