import type { KafkaSecurity } from './kafkaSecurity.ts';

export interface PlatformaticClientOptions {
  brokers: string[];
  clientId: string;
  /** How long a connection attempt may take; a down broker fails a call quickly. */
  connectionTimeoutMs?: number;
  /** SASL and TLS (kafkaSecurity() of the config); plaintext without login when absent. */
  security?: KafkaSecurity;
}

/**
 * The options every @platformatic/kafka client of llmp shares (the producer and the topic admin):
 * brokers, login and TLS, timeouts and the retry backoff.
 * @example new Producer({ ...platformaticBaseOptions(options), idempotent: true })
 */
export function platformaticBaseOptions({
  brokers,
  clientId,
  connectionTimeoutMs = 3000,
  security: { sasl, tls } = {},
}: PlatformaticClientOptions) {
  return {
    clientId,
    bootstrapBrokers: brokers,
    connectTimeout: connectionTimeoutMs,
    ...(tls ? { tls, ...(tls.servername ? { tlsServerName: tls.servername } : {}) } : {}),
    ...(sasl
      ? { sasl: { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password } }
      : {}),
    requestTimeout: 10_000,
    // Back off as the kafkajs clients do (100 ms doubling, at most 2 s): a call rides out a short
    // broker blip instead of failing within milliseconds, so a sender's own retry budget (OTLP/HTTP
    // SDKs give up after 5 attempts) is not spent while the broker restarts.
    retries: 5,
    retryDelay: (_client: unknown, _operation: unknown, attempt: number) =>
      Math.min(2000, 100 * 2 ** attempt),
  };
}
