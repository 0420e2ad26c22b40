import { isoFromNanos, type SpanSearch } from '@llmp/clickhouse';
import { type Context, Hono } from 'hono';
import { decodeCursor, encodeCursor, queryHash } from './pageCursor.ts';
import { problem } from './problem.ts';
import { parseMetricsQuery, parseSearchQuery, parseSessionsQuery, type SearchQuery } from './searchQuery.ts';

const nowNs = () => BigInt(Date.now()) * 1_000_000n;

/**
 * `GET /traces`, `GET /spans`, `GET /metrics` and `GET /sessions`, to mount under `/v1`. Query strings are
 * validated (400 problem+json naming the bad parameter); every value reaches ClickHouse as a
 * query parameter; page sizes, attribute filters and metric buckets are bounded.
 * @example app.route('/v1', searchRoutes({ search: storeSpanSearch(store), projectOf }));
 */
export function searchRoutes({
  search,
  projectOf,
  now = nowNs,
}: {
  search: SpanSearch;
  projectOf: (request: Request) => string;
  /** Clock for the default time range (tests pin it). */
  now?: () => bigint;
}): Hono {
  const app = new Hono();

  /** Resolves the cursor of a search: the position to continue from, and the time range it fixed. */
  function continuation(c: Context, kind: 'traces' | 'spans', query: SearchQuery) {
    const hash = queryHash(query.identity);
    if (query.cursor === undefined) return { ok: true as const, hash, after: undefined };
    const cursor = decodeCursor(query.cursor);
    if (!cursor)
      return {
        ok: false as const,
        response: problem(c, 400, 'Invalid cursor', 'cursor is not one this API issued'),
      };
    if (
      cursor.kind !== kind ||
      cursor.sort !== query.sort ||
      cursor.order !== query.order ||
      cursor.query !== hash
    ) {
      return {
        ok: false as const,
        response: problem(
          c,
          400,
          'Invalid cursor',
          'cursor belongs to another query; repeat the same filters and sort',
        ),
      };
    }
    query.filter.fromNs = BigInt(cursor.fromNs);
    query.filter.toNs = BigInt(cursor.toNs);
    return {
      ok: true as const,
      hash,
      after: {
        value: cursor.value,
        traceId: cursor.traceId,
        ...(cursor.spanId !== undefined ? { spanId: cursor.spanId } : {}),
      },
    };
  }

  for (const kind of ['traces', 'spans'] as const) {
    app.get(`/${kind}`, async (c) => {
      const parsed = parseSearchQuery(new URL(c.req.url), now());
      if (!parsed.ok) return problem(c, 400, 'Invalid search', parsed.detail);
      const query = parsed.value;
      const next = continuation(c, kind, query);
      if (!next.ok) return next.response;
      const request = { sort: query.sort, order: query.order, limit: query.limit, after: next.after };
      const projectId = projectOf(c.req.raw);
      const page =
        kind === 'traces'
          ? await search.traces(projectId, query.filter, request)
          : await search.spans(projectId, query.filter, request);
      const nextCursor = page.next
        ? encodeCursor({
            kind,
            sort: query.sort,
            order: query.order,
            fromNs: query.filter.fromNs,
            toNs: query.filter.toNs,
            query: next.hash,
            position: page.next,
          })
        : null;
      // `next_cursor` as on every paged route; `nextCursor` stays for one release (deprecated).
      return c.json({ [kind]: page.items, next_cursor: nextCursor, nextCursor });
    });
  }

  app.get('/metrics', async (c) => {
    const parsed = parseMetricsQuery(new URL(c.req.url), now());
    if (!parsed.ok) return problem(c, 400, 'Invalid metrics query', parsed.detail);
    const { filter, groupBy, step, stepSeconds, limit } = parsed.value;
    const { rows, truncated, source } = await search.metrics(projectOf(c.req.raw), filter, {
      groupBy,
      stepSeconds,
      limit,
    });
    return c.json({
      from: isoFromNanos(filter.fromNs),
      to: isoFromNanos(filter.toNs),
      groupBy,
      step: step ?? null,
      rows,
      truncated,
      source,
    });
  });

  const sessions = search.sessions?.bind(search);
  if (sessions) {
    app.get('/sessions', async (c) => {
      const parsed = parseSessionsQuery(new URL(c.req.url), now());
      if (!parsed.ok) return problem(c, 400, 'Invalid sessions query', parsed.detail);
      const { filter, by, limit } = parsed.value;
      const { items, truncated } = await sessions(projectOf(c.req.raw), filter, { by, limit });
      return c.json({
        from: isoFromNanos(filter.fromNs),
        to: isoFromNanos(filter.toNs),
        by,
        sessions: items,
        truncated,
      });
    });
  }

  return app;
}
