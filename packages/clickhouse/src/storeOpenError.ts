/**
 * The store cannot be opened (data dir locked or not writable, a bad name, a TLS file that
 * cannot be read); the message says what to do.
 * @example throw new StoreOpenError(`clickhouse.tls.caFile: cannot read ${file}`);
 */
export class StoreOpenError extends Error {
  /** What `llmp` tells apart without importing this class (cmd/llmp main.ts). */
  readonly kind: string = 'store-open';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'StoreOpenError';
  }
}
