import { ConfigError } from '@llmp/pipeline';

/**
 * Kafka is reachable but refuses this client: the SASL login failed, or the TLS handshake did
 * (the broker's certificate is not trusted, or it refused ours). Retrying cannot help, the
 * config must change, so it is a ConfigError: the CLI prints it on one line and exits.
 */
export class KafkaAccessError extends ConfigError {
  readonly kind: 'authentication' | 'tls';

  constructor(kind: 'authentication' | 'tls', message: string, options: { cause?: unknown } = {}) {
    super(message);
    this.kind = kind;
    this.name = 'KafkaAccessError';
    if (options.cause !== undefined) this.cause = options.cause;
  }
}

/** Node's codes for a broker certificate the client does not trust (OpenSSL's X509 verify results). */
const untrustedCertificate = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** The error and the errors it wraps: kafkajs' `cause` / `originalError`, AggregateError's `errors`. */
function* chain(error: unknown, depth = 0): Generator<Record<string, unknown>> {
  if (depth > 8 || error === null || typeof error !== 'object') return;
  const e = error as Record<string, unknown>;
  yield e;
  yield* chain(e.cause, depth + 1);
  yield* chain(e.originalError, depth + 1);
  if (Array.isArray(e.errors)) for (const inner of e.errors) yield* chain(inner, depth + 1);
}

/**
 * The KafkaAccessError a client library's error stands for, or undefined when it is something
 * else (a broker down is retryable, not this). Classified by error class and code, never by
 * message: kafkajs' KafkaJSSASLAuthenticationError, @platformatic/kafka's AuthenticationError
 * (code PLT_KFK_AUTHENTICATION), Node's certificate verification codes and TLS alerts.
 * @example throw kafkaAccessError(error, { brokers, mechanism: 'SCRAM-SHA-512' }) ?? error;
 */
export function kafkaAccessError(
  error: unknown,
  { brokers, mechanism, username }: { brokers: string[]; mechanism?: string; username?: string },
): KafkaAccessError | undefined {
  if (error instanceof KafkaAccessError) return error;
  const at = brokers.join(',');
  for (const e of chain(error)) {
    const code = typeof e.code === 'string' ? e.code : '';
    if (e.name === 'KafkaJSSASLAuthenticationError' || code === 'PLT_KFK_AUTHENTICATION') {
      const login = mechanism
        ? `SASL ${mechanism} login${username ? ` of user "${username}"` : ''}`
        : 'SASL login';
      return new KafkaAccessError(
        'authentication',
        `Kafka at ${at} refused the ${login} (${String(e.message)}); check kafka.auth.sasl`,
        { cause: error },
      );
    }
    if (untrustedCertificate.has(code)) {
      return new KafkaAccessError(
        'tls',
        `Kafka at ${at}: the broker's TLS certificate is not trusted (${code}); check kafka.tls.caFile and kafka.tls.serverNameOverride`,
        { cause: error },
      );
    }
    // The broker ended the handshake with an alert about our certificate (ssl.client.auth=required).
    if (
      /^ERR_SSL_(SSLV3|TLSV1[3]?)_ALERT_(BAD_CERTIFICATE|CERTIFICATE_REQUIRED|UNKNOWN_CA|CERTIFICATE_UNKNOWN)$/.test(
        code,
      )
    ) {
      return new KafkaAccessError(
        'tls',
        `Kafka at ${at} refused this client's TLS certificate (${code}); check kafka.tls.certFile and kafka.tls.keyFile`,
        { cause: error },
      );
    }
  }
  return undefined;
}
