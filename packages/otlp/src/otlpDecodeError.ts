/** The payload is not a valid OTLP request; the message says where and why (HTTP 400 / INVALID_ARGUMENT). */
export class OtlpDecodeError extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'OtlpDecodeError';
  }
}
