import type { StoredSpan } from '@llmp/clickhouse';
import type { Logger } from '@llmp/pipeline';
import { Hono } from 'hono';
import { openApiDocument } from './openApiDocument.ts';
import { problem } from './problem.ts';

/** What the query API reads; implemented over ClickHouse in cmd/, in memory in unit tests. */
export interface TraceSource {
  readTrace(projectId: string, traceId: string): Promise<StoredSpan[]>;
  /** Resolves when the store answers; rejects otherwise. */
  ping(): Promise<void>;
}

/** Trace deletion and its downstream sync (MLflow); the routes exist only when it is given. */
export interface TraceDeletion {
  /** Removes the trace from the store and queues its removal downstream; false when nothing knew it. */
  deleteTrace(projectId: string, traceId: string): Promise<boolean>;
  /** Where the trace stands downstream (e.g. `{ state: 'uploaded' }`); undefined when unknown. */
  syncState(projectId: string, traceId: string): Record<string, unknown> | undefined;
}

export interface QueryAppOptions {
  source: TraceSource;
  deletion?: TraceDeletion | undefined;
  logger?: Logger;
  /** The caller's project; `default` until API keys exist. */
  projectOf?: (request: Request) => string;
}

const traceIdPattern = /^[0-9a-fA-F]{32}$/;

/**
 * The query API as a Hono app: `/v1/traces/{traceId}`, `/healthz`, `/readyz`, `/openapi.json`.
 * @example const app = queryApp({ source }); const res = await app.request('/v1/traces/…');
 */
export function queryApp({ source, deletion, logger, projectOf = () => 'default' }: QueryAppOptions): Hono {
  const app = new Hono();

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    try {
      await source.ping();
      return c.json({ status: 'ready' });
    } catch (error) {
      return c.json({ status: 'unavailable', reason: (error as Error).message }, 503);
    }
  });
  app.get('/openapi.json', (c) => c.json(openApiDocument));

  app.get('/v1/traces/:traceId', async (c) => {
    const traceId = c.req.param('traceId');
    if (!traceIdPattern.test(traceId)) {
      return problem(c, 400, 'Invalid trace id', `"${traceId}" is not 32 hexadecimal characters`);
    }
    const projectId = projectOf(c.req.raw);
    const spans = await source.readTrace(projectId, traceId.toLowerCase());
    if (spans.length === 0)
      return problem(c, 404, 'Trace not found', `no trace ${traceId} in project ${projectId}`);
    return c.json({ traceId: traceId.toLowerCase(), spans });
  });

  if (deletion) {
    app.delete('/v1/traces/:traceId', async (c) => {
      const traceId = c.req.param('traceId');
      if (!traceIdPattern.test(traceId)) {
        return problem(c, 400, 'Invalid trace id', `"${traceId}" is not 32 hexadecimal characters`);
      }
      const projectId = projectOf(c.req.raw);
      const id = traceId.toLowerCase();
      if (!(await deletion.deleteTrace(projectId, id)))
        return problem(c, 404, 'Trace not found', `no trace ${traceId} in project ${projectId}`);
      // Accepted: the store no longer has it; downstream removal follows (see /sync).
      return c.json({ traceId: id, deleted: true, sync: deletion.syncState(projectId, id) ?? null }, 202);
    });
    app.get('/v1/traces/:traceId/sync', (c) => {
      const traceId = c.req.param('traceId');
      if (!traceIdPattern.test(traceId)) {
        return problem(c, 400, 'Invalid trace id', `"${traceId}" is not 32 hexadecimal characters`);
      }
      const projectId = projectOf(c.req.raw);
      const id = traceId.toLowerCase();
      const state = deletion.syncState(projectId, id);
      if (!state) return problem(c, 404, 'No sync state', `no MLflow sync state for trace ${traceId}`);
      return c.json({ traceId: id, ...state });
    });
  }

  app.notFound((c) => problem(c, 404, 'Not found', `${c.req.method} ${new URL(c.req.url).pathname}`));
  app.onError((error, c) => {
    logger?.error({ err: error, path: c.req.path }, 'query failed');
    return problem(c, 503, 'Store unavailable', 'the query could not be answered; try again');
  });
  return app;
}
