import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { retryAfter } from './retryAfter.ts';

/**
 * An RFC 9457 problem response. A 503 carries `Retry-After`: it is the retryable answer of an
 * overloaded or failing store, and a client should know when to try again.
 * @example return problem(c, 404, 'Trace not found', `no trace ${id} in project default`);
 */
export function problem(c: Context, status: ContentfulStatusCode, title: string, detail?: string): Response {
  return c.body(
    JSON.stringify({ type: 'about:blank', title, status, ...(detail ? { detail } : {}) }),
    status,
    {
      'content-type': 'application/problem+json',
      ...(status === 503 ? { 'retry-after': retryAfter } : {}),
    },
  );
}
