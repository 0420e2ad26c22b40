import { defaultRetryAfterMs } from '@llmp/pipeline';

/**
 * The `Retry-After` (whole seconds, RFC 9110 §10.2.3) every 503 of the query API carries: the
 * receivers' default delay, so a client backs off from a busy or failing store as a sender does.
 * @example return c.json(body, 503, { 'retry-after': retryAfter });
 */
export const retryAfter = String(Math.max(1, Math.ceil(defaultRetryAfterMs / 1000)));
