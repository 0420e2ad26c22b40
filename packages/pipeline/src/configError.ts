/**
 * A configuration that cannot be used; the message is meant for the person who wrote it. Its own
 * module so loadConfig and setOverrides (which loadConfig applies) need not import each other.
 * @example throw new ConfigError('receivers.otlp.http.endpoint: port 4318 is in use');
 */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
