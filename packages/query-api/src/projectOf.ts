import type { Caller } from '@llmp/pipeline';
import type { Context, MiddlewareHandler } from 'hono';

declare module 'hono' {
  interface ContextVariableMap {
    caller: Caller;
  }
}

/** Callers by request, for code that holds the Request rather than the Context. */
export const callers = new WeakMap<Request, Caller>();

/**
 * The project every query of this request is scoped to, as `requireCaller` resolved it from the
 * API key (`default` without auth). Throws when no caller was resolved, so a route that escaped
 * the middleware fails closed (503) instead of reading some project.
 * @example const spans = await source.readTrace(projectOf(c), traceId);
 */
export function projectOf(c: Context | Request): string {
  const caller = c instanceof Request ? callers.get(c) : (c.get('caller') ?? callers.get(c.req.raw));
  if (!caller) throw new Error('no authenticated caller for this request; is the route outside /v1?');
  return caller.projectId;
}

/**
 * Middleware that files the caller again under the current Request: middleware such as
 * hono's bodyLimit replaces `c.req.raw`, and routes look the caller up by the request they see.
 * @example app.use('/v1/*', bodyLimit(...), keepCaller);
 */
export const keepCaller: MiddlewareHandler = async (c, next) => {
  const caller = c.get('caller');
  if (caller) callers.set(c.req.raw, caller);
  await next();
};
