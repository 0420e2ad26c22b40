import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@llmp/pipeline';
import { afterAll, describe, expect, it } from 'vitest';
import { KafkaAccessError, kafkaAccessError } from './kafkaAccessError.ts';
import { kafkaSecurity } from './kafkaSecurity.ts';
import { kafkaAuthConfig, kafkaTlsConfig } from './kafkaSecurityConfig.ts';

const dir = mkdtempSync(join(tmpdir(), 'llmp-kafka-security-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('kafka.auth and kafka.tls config', () => {
  it('leaves SASL off without a mechanism, also when the preset read unset variables', () => {
    expect(kafkaAuthConfig.parse(undefined)).toEqual({ sasl: {} });
    expect(kafkaSecurity({ auth: kafkaAuthConfig.parse({ sasl: {} }) })).toEqual({});
  });

  it('takes PLAIN and both SCRAM mechanisms, and refuses others', () => {
    for (const mechanism of ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']) {
      expect(
        kafkaAuthConfig.parse({ sasl: { mechanism, username: 'u', password: 'p' } }).sasl.mechanism,
      ).toBe(mechanism);
    }
    expect(
      kafkaAuthConfig.safeParse({ sasl: { mechanism: 'GSSAPI', username: 'u', password: 'p' } }).success,
    ).toBe(false);
  });

  it('refuses a mechanism without username or password, and credentials without a mechanism', () => {
    const issues = (sasl: unknown) =>
      kafkaAuthConfig.safeParse({ sasl }).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues({ mechanism: 'SCRAM-SHA-512', username: 'llmp' })).toEqual([
      'sasl.password: SASL SCRAM-SHA-512 needs a password',
    ]);
    expect(issues({ mechanism: 'PLAIN', password: 'x' })).toEqual([
      'sasl.username: SASL PLAIN needs a username',
    ]);
    expect(issues({ username: 'llmp', password: 'x' })).toEqual([
      'sasl.mechanism: name the SASL mechanism (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) the username and password are for',
    ]);
  });

  it('turns TLS on with a tls block, off with enabled: false; a client certificate needs its key', () => {
    expect(kafkaTlsConfig.parse({})).toEqual({ enabled: true, insecureSkipVerify: false });
    expect(kafkaSecurity({ tls: kafkaTlsConfig.parse({ enabled: false, caFile: '/nowhere' }) })).toEqual({});
    expect(kafkaTlsConfig.safeParse({ certFile: 'client.pem' }).error?.issues[0]?.path).toEqual(['keyFile']);
    expect(kafkaTlsConfig.safeParse({ keyFile: 'client.key' }).error?.issues[0]?.path).toEqual(['certFile']);
  });
});

describe('kafkaSecurity', () => {
  it('reads the PEM files into tls.connect options and keeps the SASL credentials', () => {
    const ca = file('ca.pem', 'CA PEM');
    const cert = file('client.pem', 'CLIENT CERT PEM');
    const key = file('client.key', 'CLIENT KEY PEM');
    const security = kafkaSecurity({
      auth: kafkaAuthConfig.parse({
        sasl: { mechanism: 'SCRAM-SHA-512', username: 'llmp', password: 's3cret' },
      }),
      tls: kafkaTlsConfig.parse({
        caFile: ca,
        certFile: cert,
        keyFile: key,
        serverNameOverride: 'kafka.internal',
      }),
    });
    expect(security.sasl).toEqual({ mechanism: 'SCRAM-SHA-512', username: 'llmp', password: 's3cret' });
    expect(String(security.tls?.ca)).toBe('CA PEM');
    expect(String(security.tls?.cert)).toBe('CLIENT CERT PEM');
    expect(String(security.tls?.key)).toBe('CLIENT KEY PEM');
    expect(security.tls?.servername).toBe('kafka.internal');
    expect(security.tls?.rejectUnauthorized).toBe(true);
  });

  it('checks the certificate unless insecureSkipVerify, with the system CAs when no caFile', () => {
    expect(kafkaSecurity({ tls: kafkaTlsConfig.parse({}) }).tls).toEqual({ rejectUnauthorized: true });
    expect(kafkaSecurity({ tls: kafkaTlsConfig.parse({ insecureSkipVerify: true }) }).tls).toEqual({
      rejectUnauthorized: false,
    });
  });

  it('stops at start naming the key when a PEM file cannot be read', () => {
    const missing = join(dir, 'missing-ca.pem');
    expect(() => kafkaSecurity({ tls: kafkaTlsConfig.parse({ caFile: missing }) })).toThrow(ConfigError);
    expect(() => kafkaSecurity({ tls: kafkaTlsConfig.parse({ caFile: missing }) })).toThrow(
      `kafka.tls.caFile: cannot read ${missing}`,
    );
  });
});

describe('kafkaAccessError', () => {
  const brokers = ['k1:9093'];

  it('names a refused SASL login of either client library by class or code, with the user', () => {
    const kafkajs = Object.assign(new Error('SASL SCRAM SHA512 authentication failed'), {
      name: 'KafkaJSSASLAuthenticationError',
    });
    const fromKafkajs = kafkaAccessError(kafkajs, { brokers, mechanism: 'SCRAM-SHA-512', username: 'llmp' });
    expect(fromKafkajs).toBeInstanceOf(KafkaAccessError);
    expect(fromKafkajs).toBeInstanceOf(ConfigError);
    expect(fromKafkajs?.kind).toBe('authentication');
    expect(fromKafkajs?.message).toMatch(
      /^Kafka at k1:9093 refused the SASL SCRAM-SHA-512 login of user "llmp"/,
    );
    expect(fromKafkajs?.message).toContain('check kafka.auth.sasl');
    // @platformatic/kafka wraps it in the errors of a failed send.
    const platformatic = new AggregateError(
      [Object.assign(new Error('SASL authentication failed.'), { code: 'PLT_KFK_AUTHENTICATION' })],
      'Producing failed',
    );
    expect(kafkaAccessError(platformatic, { brokers, mechanism: 'PLAIN' })?.kind).toBe('authentication');
  });

  it('names an untrusted broker certificate, found in the wrapped cause', () => {
    const connection = Object.assign(new Error('Connection error: unable to verify the first certificate'), {
      name: 'KafkaJSConnectionError',
      code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    });
    const retries = Object.assign(new Error('retries exceeded'), { cause: connection });
    const error = kafkaAccessError(retries, { brokers });
    expect(error?.kind).toBe('tls');
    expect(error?.message).toContain('check kafka.tls.caFile');
  });

  it('leaves other errors (a broker down) alone: they are outages, retried', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9093'), { code: 'ECONNREFUSED' });
    expect(kafkaAccessError(refused, { brokers })).toBeUndefined();
    expect(kafkaAccessError('nonsense', { brokers })).toBeUndefined();
  });
});
