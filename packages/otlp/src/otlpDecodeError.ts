/**
 * The payload is not a valid OTLP request (`malformed`) or passes one of the receiver's
 * `ValueLimits` (`limit`); the message says where and why (HTTP 400 / INVALID_ARGUMENT).
 */
export class OtlpDecodeError extends Error {
  readonly kind: 'malformed' | 'limit';
  constructor(message: string, options: { cause?: unknown; kind?: 'malformed' | 'limit' } = {}) {
    super(message, options);
    this.name = 'OtlpDecodeError';
    this.kind = options.kind ?? 'malformed';
  }
}
