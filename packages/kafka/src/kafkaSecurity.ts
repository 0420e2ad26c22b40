import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { ConfigError } from '@llmp/pipeline';
import type { KafkaAuthConfig, KafkaTlsConfig, SaslMechanism } from './kafkaSecurityConfig.ts';

/** How llmp's Kafka clients authenticate and encrypt, whatever the client library. */
export interface KafkaSecurity {
  /** Options for `tls.connect`; absent means plaintext. */
  tls?: ConnectionOptions;
  sasl?: { mechanism: SaslMechanism; username: string; password: string };
}

function readPem(file: string, key: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new ConfigError(`kafka.tls.${key}: cannot read ${file}: ${(error as Error).message}`);
  }
}

/**
 * The Kafka connection's security from the `kafka.auth` and `kafka.tls` config sections, with
 * the PEM files read now, so a missing file stops the role at start naming the key.
 * @example kafkajsClients({ brokers, clientId, logger, security: kafkaSecurity(config.kafka) })
 */
export function kafkaSecurity({
  auth,
  tls,
}: {
  auth?: KafkaAuthConfig | undefined;
  tls?: KafkaTlsConfig | undefined;
}): KafkaSecurity {
  const security: KafkaSecurity = {};
  const sasl = auth?.sasl;
  if (sasl?.mechanism !== undefined && sasl.username !== undefined && sasl.password !== undefined) {
    security.sasl = { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password };
  }
  if (tls?.enabled) {
    security.tls = {
      ...(tls.caFile ? { ca: readPem(tls.caFile, 'caFile') } : {}),
      ...(tls.certFile ? { cert: readPem(tls.certFile, 'certFile') } : {}),
      ...(tls.keyFile ? { key: readPem(tls.keyFile, 'keyFile') } : {}),
      ...(tls.serverNameOverride ? { servername: tls.serverNameOverride } : {}),
      rejectUnauthorized: !tls.insecureSkipVerify,
    };
  }
  return security;
}
