import { randomUUID } from 'node:crypto';
import {
  KafkaAccessError,
  type KafkaClients,
  type KafkaSecurity,
  kafkaAuthConfig,
  kafkajsClients,
  kafkaSecurity,
  kafkaTlsConfig,
  platformaticClients,
  platformaticProducer,
} from '@llmp/kafka';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MavenKafka, mavenKafka } from '../support/kafka/mavenKafka.ts';

// llmp's Kafka clients against a real broker with SASL_SSL, SASL_PLAINTEXT and SSL (client
// certificate required) listeners, certificates made by openssl for this run, SCRAM users added
// when its storage was formatted. Each client library (kafkajs for admin and consumers,
// @platformatic/kafka for the gateway's producer) logs in and reads back what it wrote.
const users = { llmp: 'llmp-secret', other: 'other-secret' };
let kafka: MavenKafka | undefined;
const required = process.env.LLMP_REQUIRE_KAFKA === '1';

beforeAll(async () => {
  try {
    kafka = await mavenKafka({ secure: { users } });
  } catch (error) {
    if (required) throw error;
    console.warn(`No Kafka from Maven jars; the SASL/TLS suite is skipped: ${(error as Error).message}`);
  }
}, 180_000);
afterAll(() => kafka?.stop());

const logger = pino({ level: 'silent' });
const security = (
  sasl: { mechanism: string; username: string; password: string } | undefined,
  tls: Record<string, unknown> | undefined,
) =>
  kafkaSecurity({ auth: kafkaAuthConfig.parse({ sasl: sasl ?? {} }), tls: tls && kafkaTlsConfig.parse(tls) });

/** What making a topic answers through each library's admin: kafkajs, then @platformatic/kafka (the gateway's). */
async function ensureTopicsRefusals(options: {
  brokers: string[];
  clientId: string;
  security: KafkaSecurity;
}) {
  const clients = kafkajsClients({ ...options, logger });
  const gateway = platformaticClients({ ...options, logger, consumers: async () => clients });
  return Promise.all(
    [clients, gateway].map((c) =>
      c.ensureTopics(['never-made']).then(
        () => undefined,
        (error: unknown) => error,
      ),
    ),
  );
}

async function roundTrip(clients: KafkaClients, producer: ReturnType<typeof platformaticProducer>) {
  const topic = `secure-${randomUUID()}`;
  await clients.ensureTopics([topic]);
  const value = new TextEncoder().encode(`hello ${topic}`);
  await producer.send(topic, [{ key: 'k', value, headers: { h: 'v' } }]);
  const consumer = await clients.consumer({ groupId: `${topic}-group`, topic });
  const got = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no record read back in 30 s')), 30_000);
    void consumer
      .run(async (batch) => {
        const record = batch.records[0];
        if (record?.value) {
          clearTimeout(timer);
          resolve(new TextDecoder().decode(record.value));
        }
      })
      .catch(reject);
  });
  await consumer.close();
  await producer.close();
  return { got, expected: `hello ${topic}` };
}

describe('Kafka SASL and TLS on a real broker', () => {
  it.each([
    ['SCRAM-SHA-512', 'saslSsl'],
    ['SCRAM-SHA-256', 'saslSsl'],
    ['PLAIN', 'saslSsl'],
    ['SCRAM-SHA-256', 'saslPlaintext'],
  ] as const)(
    '%s over %s: kafkajs admin and consumer, @platformatic/kafka producer and admin',
    async (mechanism, listener) => {
      if (!kafka?.secure) return expect(required).toBe(false);
      const brokers = kafka.secure[listener];
      const tls = listener === 'saslSsl' ? { caFile: kafka.secure.certificates.caFile } : undefined;
      const secured = security({ mechanism, username: 'llmp', password: users.llmp }, tls);
      const options = { brokers, clientId: 'llmp-secure-test', logger, security: secured };
      const clients = kafkajsClients(options);
      const producer = platformaticProducer(options);
      const { got, expected } = await roundTrip(clients, producer);
      expect(got).toBe(expected);
      // The gateway's clients: topics made by @platformatic/kafka's admin, consumers from kafkajs.
      const gateway = platformaticClients({ ...options, consumers: async () => clients });
      const again = await roundTrip(gateway, platformaticProducer(options));
      expect(again.got).toBe(again.expected);
    },
  );

  it('TLS with a client certificate where the broker requires one', async () => {
    if (!kafka?.secure) return expect(required).toBe(false);
    const { certificates, ssl: brokers } = kafka.secure;
    const secured = security(undefined, {
      caFile: certificates.caFile,
      certFile: certificates.clientCertFile,
      keyFile: certificates.clientKeyFile,
    });
    const clients = kafkajsClients({ brokers, clientId: 'llmp-mtls-test', logger, security: secured });
    const producer = platformaticProducer({ brokers, clientId: 'llmp-mtls-test', security: secured });
    const { got, expected } = await roundTrip(clients, producer);
    expect(got).toBe(expected);
  });

  it('a wrong password is a KafkaAccessError naming the login, from both client libraries', async () => {
    if (!kafka?.secure) return expect(required).toBe(false);
    const brokers = kafka.secure.saslSsl;
    const secured = security(
      { mechanism: 'SCRAM-SHA-512', username: 'llmp', password: 'wrong' },
      { caFile: kafka.secure.certificates.caFile },
    );
    const refusals = await ensureTopicsRefusals({ brokers, clientId: 'llmp-wrong-test', security: secured });
    for (const refused of refusals) {
      expect(refused).toBeInstanceOf(KafkaAccessError);
      expect((refused as KafkaAccessError).kind).toBe('authentication');
      expect((refused as Error).message).toMatch(/refused the SASL SCRAM-SHA-512 login of user "llmp"/);
    }

    const producer = platformaticProducer({ brokers, clientId: 'llmp-wrong-test', security: secured });
    const sent = await producer
      .send('never-made', [{ key: 'k', value: new Uint8Array([1]), headers: {} }])
      .catch((error: unknown) => error);
    await producer.close();
    expect(sent).toBeInstanceOf(KafkaAccessError);
    expect((sent as KafkaAccessError).kind).toBe('authentication');
  });

  it('a broker certificate from a CA not trusted is a KafkaAccessError of kind tls', async () => {
    if (!kafka?.secure) return expect(required).toBe(false);
    const brokers = kafka.secure.saslSsl;
    const secured = security(
      { mechanism: 'SCRAM-SHA-512', username: 'llmp', password: users.llmp },
      { caFile: kafka.secure.certificates.otherCaFile },
    );
    const refusals = await ensureTopicsRefusals({
      brokers,
      clientId: 'llmp-untrusted-test',
      security: secured,
    });
    for (const refused of refusals) {
      expect(refused).toBeInstanceOf(KafkaAccessError);
      expect((refused as KafkaAccessError).kind).toBe('tls');
    }
  });
});
