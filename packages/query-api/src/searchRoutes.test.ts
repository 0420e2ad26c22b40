import type { PageRequest, SpanFilter, SpanSearch } from '@llmp/clickhouse';
import { describe, expect, it } from 'vitest';
import { queryApp } from './queryApp.ts';

/** A search that records what it was asked and returns one row with a next position. */
function recordingSearch() {
  const calls: Array<{
    filter: SpanFilter;
    page?: PageRequest;
    groupBy?: string[];
    stepSeconds?: number;
    by?: string;
    limit?: number;
  }> = [];
  const search: SpanSearch = {
    async traces(_p, filter, page) {
      calls.push({ filter: { ...filter }, page });
      return { items: [], next: { value: '123', traceId: 'a'.repeat(32) } };
    },
    async spans(_p, filter, page) {
      calls.push({ filter: { ...filter }, page });
      return { items: [], next: { value: '9', traceId: 'b'.repeat(32), spanId: 'c'.repeat(16) } };
    },
    async metrics(_p, filter, request) {
      calls.push({
        filter: { ...filter },
        groupBy: request.groupBy,
        stepSeconds: request.stepSeconds as number,
      });
      return { rows: [], truncated: false, source: 'spans' };
    },
    async sessions(_p, filter, request) {
      calls.push({ filter: { ...filter }, by: request.by, limit: request.limit });
      return { items: [], truncated: true };
    },
  };
  return { calls, search };
}

function appWith(search: SpanSearch) {
  return queryApp({ source: { readTrace: async () => [], ping: async () => {}, search } });
}

async function problemOf(response: Response) {
  expect(response.status).toBe(400);
  expect(response.headers.get('content-type')).toContain('application/problem+json');
  return (await response.json()) as { title: string; detail: string };
}

describe('search query validation', () => {
  const { search } = recordingSearch();
  const app = appWith(search);

  it.each([
    ['/v1/traces?limit=501', 'limit'],
    ['/v1/traces?limit=0', 'limit'],
    ['/v1/traces?sort=name', 'sort'],
    ['/v1/traces?spanType=robot', 'spanType'],
    ['/v1/traces?status=bad', 'status'],
    ['/v1/traces?from=yesterday', 'from'],
    ['/v1/traces?minDurationMs=-1', 'minDurationMs'],
    ['/v1/traces?minDurationMs=5&maxDurationMs=1', 'minDurationMs'],
    ['/v1/traces?from=2025-01-02T00:00:00Z&to=2025-01-01T00:00:00Z', 'from must be before to'],
    ['/v1/traces?servce=x', 'unknown parameter(s) servce'],
    ['/v1/traces?from=2025-01-01T00:00:00Z&to=9999-01-01T00:00:00Z', 'between 1970-01-01 and 2262-04-11'],
    ['/v1/traces?from=1969-12-31T00:00:00Z&to=2025-01-01T00:00:00Z', 'between 1970-01-01 and 2262-04-11'],
    [
      `/v1/traces?cursor=${Buffer.from(JSON.stringify({ v: 1, c: { kind: 'traces', sort: 'startTime', order: 'desc', fromNs: '0', toNs: '1', query: '0123456789abcdef', value: '99999999999999999999', traceId: 'a' } })).toString('base64url')}`,
      'cursor is not one this API issued',
    ],
    ['/v1/traces?service=a&service=b', 'service is given 2 times'],
    ['/v1/traces?attr.=x', 'attribute name'],
    ['/v1/traces?attr.k=', 'value'],
    [`/v1/traces?${Array.from({ length: 11 }, (_, i) => `attr.k${i}=v`).join('&')}`, 'at most 10'],
    ['/v1/traces?cursor=not-a-cursor', 'cursor is not one this API issued'],
    ['/v1/spans?service=', 'service'],
    ['/v1/metrics?groupBy=colour', 'groupBy'],
    ['/v1/metrics?groupBy=model,provider,service', 'one or two'],
    ['/v1/metrics?groupBy=model,model', 'twice'],
    ['/v1/metrics?step=2h', 'step'],
    ['/v1/metrics?step=1m&from=2020-01-01T00:00:00Z&to=2025-01-01T00:00:00Z', 'at most 10000'],
    ['/v1/metrics?limit=10001', 'limit'],
  ])('%s is a 400 naming the problem', async (path, words) => {
    expect((await problemOf(await app.request(path))).detail).toContain(words);
  });
});

describe('search routes', () => {
  it('defaults to the last 24 hours, newest first, 50 per page', async () => {
    const { calls, search } = recordingSearch();
    const app = queryApp({ source: { readTrace: async () => [], ping: async () => {}, search } });
    const response = await app.request('/v1/traces');
    expect(response.status).toBe(200);
    const call = calls[0]!;
    expect(call.filter.toNs - call.filter.fromNs).toBe(24n * 3600n * 1_000_000_000n);
    expect(call.page).toEqual({ sort: 'startTime', order: 'desc', limit: 50, after: undefined });
  });

  it('passes filters, attribute filters and duration bounds through typed', async () => {
    const { calls, search } = recordingSearch();
    const app = appWith(search);
    const url =
      '/v1/spans?from=2025-06-02T00:00:00Z&to=2025-06-02T01:00:00.5Z&model=gpt-4o&attr.tenant=acme' +
      '&attr.a.b=c&minDurationMs=1.5&status=error&sort=duration&order=asc&limit=10';
    expect((await app.request(url)).status).toBe(200);
    expect(calls[0]).toEqual({
      filter: expect.objectContaining({
        fromNs: BigInt(Date.parse('2025-06-02T00:00:00Z')) * 1_000_000n,
        toNs: BigInt(Date.parse('2025-06-02T01:00:00.500Z')) * 1_000_000n,
        model: 'gpt-4o',
        status: 'error',
        minDurationNs: 1_500_000n,
        attributes: [
          ['tenant', 'acme'],
          ['a.b', 'c'],
        ],
      }),
      page: { sort: 'duration', order: 'asc', limit: 10, after: undefined },
    });
  });

  it('continues from a cursor with the first page’s time range, and only for the same query', async () => {
    const { calls, search } = recordingSearch();
    const app = appWith(search);
    const first = (await (await app.request('/v1/spans?model=gpt-4o')).json()) as {
      next_cursor: string;
      nextCursor: string;
    };
    expect(typeof first.next_cursor).toBe('string');
    // The camelCase name stays as a deprecated alias for one release.
    expect(first.nextCursor).toBe(first.next_cursor);
    // Later pages keep the range the first page resolved, even though "now" moved.
    await new Promise((r) => setTimeout(r, 5));
    const second = await app.request(`/v1/spans?model=gpt-4o&limit=3&cursor=${first.next_cursor}`);
    expect(second.status).toBe(200);
    expect(calls[1]!.filter.fromNs).toBe(calls[0]!.filter.fromNs);
    expect(calls[1]!.filter.toNs).toBe(calls[0]!.filter.toNs);
    expect(calls[1]!.page!.after).toEqual({ value: '9', traceId: 'b'.repeat(32), spanId: 'c'.repeat(16) });

    for (const other of [
      `/v1/spans?model=claude&cursor=${first.next_cursor}`,
      `/v1/spans?model=gpt-4o&sort=duration&cursor=${first.next_cursor}`,
      `/v1/traces?model=gpt-4o&cursor=${first.next_cursor}`,
    ]) {
      expect((await problemOf(await app.request(other))).detail).toContain('another query');
    }
  });

  it('passes metric dimensions and step seconds', async () => {
    const { calls, search } = recordingSearch();
    const app = appWith(search);
    const response = await app.request('/v1/metrics?groupBy=model,spanType&step=15m');
    expect(response.status).toBe(200);
    expect(calls[0]).toMatchObject({ groupBy: ['model', 'spanType'], stepSeconds: 900 });
    expect(await response.json()).toMatchObject({ groupBy: ['model', 'spanType'], step: '15m', rows: [] });
  });

  it('groups traces by session by default, by user on request, with the search filters', async () => {
    const { calls, search } = recordingSearch();
    const app = appWith(search);
    const first = await app.request('/v1/sessions?service=shop');
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ by: 'session', sessions: [], truncated: true });
    expect(calls[0]).toMatchObject({ by: 'session', limit: 100, filter: { service: 'shop' } });
    expect((await app.request('/v1/sessions?by=user&limit=5&userId=u-1')).status).toBe(200);
    expect(calls[1]).toMatchObject({ by: 'user', limit: 5, filter: { userId: 'u-1' } });
  });

  it.each([
    ['/v1/sessions?by=team', 'by'],
    ['/v1/sessions?limit=501', 'limit'],
    ['/v1/sessions?groupBy=model', 'unknown parameter(s) groupBy'],
  ])('refuses %s naming %s', async (url, detail) => {
    const { calls, search } = recordingSearch();
    const response = await appWith(search).request(url);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { detail: string }).detail).toContain(detail);
    expect(calls).toEqual([]);
  });

  it('answers 503 problem+json when the store fails, and 404 without a search source', async () => {
    const failing: SpanSearch = {
      traces: () => Promise.reject(new Error('down')),
      spans: () => Promise.reject(new Error('down')),
      metrics: () => Promise.reject(new Error('down')),
    };
    const response = await appWith(failing).request('/v1/traces');
    expect(response.status).toBe(503);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    const bare = queryApp({ source: { readTrace: async () => [], ping: async () => {} } });
    expect((await bare.request('/v1/metrics')).status).toBe(404);
    // A search without grouping by session does not serve /v1/sessions.
    expect((await appWith(failing).request('/v1/sessions')).status).toBe(404);
  });
});
