/**
 * Errors that cross component borders are values with a kind, never classified by message text.
 * - `retryable`: the sender may try the same data again (queue full, store unavailable).
 * - `permanent`: the data itself is bad; retrying cannot help.
 */
export type ErrorKind = 'retryable' | 'permanent';

/** Why a retryable error happened: lets receivers choose between UNAVAILABLE and RESOURCE_EXHAUSTED. */
export type RetryReason = 'unavailable' | 'exhausted';

export class ExportError extends Error {
  readonly kind: ErrorKind;
  readonly reason: RetryReason | undefined;
  /** Hint for the sender, in milliseconds (OTLP Retry-After / RetryInfo). */
  readonly retryAfterMs: number | undefined;
  /** A permanent error because the request passes a bound it could never fit (HTTP 413). */
  readonly tooLarge: boolean;

  constructor(
    kind: ErrorKind,
    message: string,
    options: { cause?: unknown; reason?: RetryReason; retryAfterMs?: number; tooLarge?: boolean } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'ExportError';
    this.kind = kind;
    this.reason = kind === 'retryable' ? (options.reason ?? 'unavailable') : undefined;
    this.retryAfterMs = options.retryAfterMs;
    this.tooLarge = kind === 'permanent' && options.tooLarge === true;
  }
}

/**
 * A retryable error: the sender should back off and send the same data again.
 * @example throw retryable('ClickHouse unavailable', { cause: err })
 */
export function retryable(
  message: string,
  options: { cause?: unknown; reason?: RetryReason; retryAfterMs?: number } = {},
): ExportError {
  return new ExportError('retryable', message, options);
}

/**
 * A permanent error: the data is bad and must not be retried. `tooLarge`: the request is bigger
 * than a bound of the pipeline, so it can never fit (HTTP 413 rather than 400).
 * @example throw permanent('span 3 has an empty trace id')
 */
export function permanent(
  message: string,
  options: { cause?: unknown; tooLarge?: boolean } = {},
): ExportError {
  return new ExportError('permanent', message, options);
}

/**
 * Turns anything thrown into an ExportError; unknown failures count as retryable because
 * refusing data the sender would resend is safer than losing it.
 * @example const e = toExportError(caught)
 */
export function toExportError(error: unknown): ExportError {
  if (error instanceof ExportError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return retryable(message, { cause: error });
}
