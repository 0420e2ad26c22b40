import { clientCertificatePair } from '@llmp/pipeline';
import { z } from 'zod';

/** The SASL mechanisms both client libraries speak (Kafka's names, as the Collector takes them). */
export const saslMechanisms = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
export type SaslMechanism = (typeof saslMechanisms)[number];

/**
 * `kafka.auth`: SASL credentials, named as the Collector's Kafka client names them
 * (`auth.sasl.{mechanism,username,password}`). Without a mechanism SASL is off, so a preset can
 * read all three from environment variables that are unset where Kafka needs no login.
 */
export const kafkaAuthConfig = z
  .object({
    sasl: z
      .object({
        mechanism: z.enum(saslMechanisms).optional(),
        username: z.string().optional(),
        password: z.string().optional(),
      })
      .superRefine((sasl, ctx) => {
        if (sasl.mechanism === undefined) {
          if (sasl.username !== undefined || sasl.password !== undefined) {
            ctx.addIssue({
              code: 'custom',
              path: ['mechanism'],
              message: `name the SASL mechanism (${saslMechanisms.join(', ')}) the username and password are for`,
            });
          }
          return;
        }
        for (const key of ['username', 'password'] as const) {
          if (!sasl[key]) {
            ctx.addIssue({ code: 'custom', path: [key], message: `SASL ${sasl.mechanism} needs a ${key}` });
          }
        }
      })
      .prefault({}),
  })
  .prefault({});

/**
 * `kafka.tls`: TLS to the brokers, with the Collector's `configtls` client keys in camelCase.
 * As in the Collector a `tls` block turns TLS on (even `tls: {}`: the system's CAs); the role
 * schemas default the absent block to `{ enabled: false }`, and a preset can switch it with
 * `enabled: ${env:…}`.
 */
export const kafkaTlsConfig = z
  .object({
    enabled: z.boolean().default(true),
    /** PEM file of the CA(s) that signed the brokers' certificates; the system's CAs when absent. */
    caFile: z.string().min(1).optional(),
    /** PEM client certificate and its key, for brokers that require client certificates (ssl.client.auth). */
    certFile: z.string().min(1).optional(),
    keyFile: z.string().min(1).optional(),
    /** Accept any broker certificate (no chain or host name check): for tests only. */
    insecureSkipVerify: z.boolean().default(false),
    /** The host name the brokers' certificates are checked against, instead of the address dialled. */
    serverNameOverride: z.string().min(1).optional(),
  })
  .superRefine(clientCertificatePair);

export type KafkaAuthConfig = z.infer<typeof kafkaAuthConfig>;
export type KafkaTlsConfig = z.infer<typeof kafkaTlsConfig>;
