import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  kafkaAuthConfig,
  kafkajsClients,
  kafkaReceiver,
  kafkaReceiverConfig,
  kafkaSecurity,
} from '@llmp/kafka';
import type { TraceBatch } from '@llmp/otlp';
import { type Consumer, Registry } from '@llmp/pipeline';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MavenKafka, mavenKafka } from '../support/kafka/mavenKafka.ts';
import { metricValue } from '../support/selfMetric.ts';

// A login that Kafka refuses after the ingester's consumer ran with it (a password rotated
// without the ingester being told): the consumer stops for good on every reconnect, and the
// receiver must restart it with a growing backoff, count the restarts and say why it is not
// ready, not restart it once a second with a warning forever. The broker is this suite's own,
// since it is restarted with the user's PLAIN password changed.
const required = process.env.LLMP_REQUIRE_KAFKA === '1';
let kafka: MavenKafka | undefined;

beforeAll(async () => {
  try {
    kafka = await mavenKafka({ secure: { users: { llmp: 'llmp-secret' } } });
  } catch (error) {
    if (required) throw error;
    console.warn(`No Kafka from Maven jars; the revoked-login suite is skipped: ${(error as Error).message}`);
  }
}, 180_000);
afterAll(() => kafka?.stop());

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('a Kafka login refused while the ingester runs', () => {
  it('restarts the consumer with exponential backoff up to its cap, counted, unready with the reason', {
    timeout: 240_000,
  }, async () => {
    if (!kafka?.secure) return expect(required).toBe(false);
    const logs: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
    const registry = new Registry();
    const clients = kafkajsClients({
      brokers: kafka.secure.saslPlaintext,
      clientId: 'llmp-revoked-test',
      logger,
      security: kafkaSecurity({
        auth: kafkaAuthConfig.parse({
          sasl: { mechanism: 'PLAIN', username: 'llmp', password: 'llmp-secret' },
        }),
        tls: undefined,
      }),
    });
    const topic = `revoked-${randomUUID()}`;
    const config = kafkaReceiverConfig.parse({
      topic,
      groupId: `${topic}-group`,
      deadLetterTopic: `${topic}-dlq`,
      sessionTimeout: 6000,
      // No jitter, so that the waits are exactly the policy's: 500 ms, doubling, capped at 2 s.
      reconnect: { initialInterval: 500, maxInterval: 2000, multiplier: 2, randomizationFactor: 0 },
    });
    await clients.ensureTopics([topic, config.deadLetterTopic]);
    const sink: Consumer<TraceBatch> = { consume: async () => undefined };
    const receiver = kafkaReceiver(
      {
        consumer: await clients.consumer({ groupId: config.groupId, topic, sessionTimeoutMs: 6000 }),
        producer: await clients.producer(),
        prepare: () => clients.ensureTopics([topic, config.deadLetterTopic]),
      },
      { id: 'kafka', logger, registry },
      config,
      sink,
    );
    try {
      await receiver.start();
      // Consuming: a fresh broker may still be loading its group coordinator at first.
      let consuming = false;
      await until(
        () => {
          void receiver.checkProgress().then(
            () => {
              consuming = true;
            },
            () => undefined,
          );
          return consuming;
        },
        60_000,
        'the consumer to join its group',
      );

      // The password is changed on the broker; the consumer learns it when it reconnects.
      await kafka.pause();
      const serverFile = join(kafka.logDir, '..', 'server.properties');
      writeFileSync(
        serverFile,
        readFileSync(serverFile, 'utf8').replaceAll('user_llmp="llmp-secret"', 'user_llmp="rotated"'),
      );
      await kafka.resume();

      const restarts = () => logs.filter((l) => l.msg === 'restarting the Kafka consumer');
      await until(() => restarts().length >= 5, 120_000, 'five restart attempts');
      expect(
        restarts()
          .slice(0, 5)
          .map((l) => l.retryInMs),
      ).toEqual([500, 1000, 2000, 2000, 2000]);
      expect(
        metricValue(await registry.metrics(), 'llmp_ingester_consumer_restarts_total', { topic }),
      ).toBeGreaterThanOrEqual(4);
      // Readiness names the refused login; the log says so once, not once per attempt.
      await until(
        () => logs.some((l) => String(l.reason ?? '').includes('refused the SASL PLAIN login')),
        60_000,
        'the refused login as a reason',
      );
      await expect(receiver.checkProgress()).rejects.toThrow(/refused the SASL PLAIN login of user "llmp"/);
      const warnings = logs.filter(
        (l) => (l.level as number) >= 40 && String(l.reason ?? '').includes('refused the SASL PLAIN login'),
      );
      expect(warnings.length).toBeLessThanOrEqual(2);
    } finally {
      await receiver.shutdown();
    }
  });
});
