import { type ExportError, retryable } from '@llmp/pipeline';

/**
 * The receiver's own in-flight bound is reached. OTLP "Throttling": the sender backs off and sends
 * the same data again, so it is retryable and `exhausted` (429 / RESOURCE_EXHAUSTED with a delay).
 * @example return refuse(overloadedError());
 */
export function overloadedError(): ExportError {
  return retryable('receiver is at its in-flight bound; retry later', {
    reason: 'exhausted',
    retryAfterMs: 1000,
  });
}
