import { type Authenticate, credentialOf, openAccess, type Role } from '@llmp/pipeline';
import type { MiddlewareHandler } from 'hono';
import { problem } from './problem.ts';
import { callers } from './projectOf.ts';

/**
 * Reading needs `read`; anything that changes data (POST, PATCH, PUT, DELETE) needs `admin`,
 * except the auto_eval compatibility route, a read that its clients send as a POST.
 */
const roleFor = (method: string, path: string): Role =>
  method === 'GET' || method === 'HEAD' || path.endsWith('/pseudo_label_job/get_status') ? 'read' : 'admin';

/**
 * Hono middleware: resolves the request's API key (`Authorization: Bearer` or `x-llmp-api-key`)
 * to a caller and stores it for `projectOf(c)`; answers 401 / 403 otherwise. Mounted on `/v1/*`
 * and `/api/*`, so every route there is scoped without doing anything itself.
 * @example app.use('/v1/*', requireCaller(authenticate))
 */
export function requireCaller(authenticate: Authenticate = openAccess): MiddlewareHandler {
  return async (c, next) => {
    const outcome = authenticate(
      credentialOf((name) => c.req.header(name)),
      roleFor(c.req.method, c.req.path),
    );
    if (!outcome.ok) {
      if (outcome.reason === 'unauthenticated') {
        c.header('www-authenticate', 'Bearer');
        return problem(c, 401, 'Unauthenticated', outcome.message);
      }
      return problem(c, 403, 'Forbidden', outcome.message);
    }
    c.set('caller', outcome.caller);
    callers.set(c.req.raw, outcome.caller);
    await next();
  };
}
