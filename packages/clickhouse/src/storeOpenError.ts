/**
 * The store cannot be opened (data dir locked or not writable, a bad name, a TLS file that
 * cannot be read); the message says what to do.
 * @example throw new StoreOpenError(`clickhouse.tls.caFile: cannot read ${file}`);
 */
export class StoreOpenError extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'StoreOpenError';
  }
}
