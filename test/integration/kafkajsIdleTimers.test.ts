import { setTimeout as sleep } from 'node:timers/promises';
import { kafkajsClients } from '@llmp/kafka';
import { pino } from 'pino';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { kafkaBroker } from '../support/kafkaBroker.ts';

// kafkajs 2.2.4 re-arms its request queue's pending-request check with `throttledUntil -
// Date.now()` even when nothing is pending and nothing throttled: throttledUntil is -1, so the
// delay is about -1.8e12 ms, which Node 24 prints as a TimeoutNegativeWarning and runs after
// 1 ms, again and again: a 1 ms timer loop per idle broker connection (kafkajs issues #1751,
// #1704). llmp patches it (patches/kafkajs@2.2.4.patch); this holds the patch to that.
const provided = inject('kafkaBrokers');
const broker = provided ? undefined : await kafkaBroker();
const brokers = provided ? provided.split(',') : (broker?.brokers ?? []);
afterAll(() => broker?.stop());

describe.skipIf(brokers.length === 0)('kafkajs request queue on an idle connection', () => {
  it('arms no timer with a negative delay (no TimeoutNegativeWarning, no 1 ms loop)', async () => {
    const clients = kafkajsClients({
      brokers,
      clientId: 'llmp-idle-timers',
      logger: pino({ level: 'silent' }),
    });
    const topic = `llmp-idle-${Date.now()}`;
    await clients.ensureTopics([topic]);
    const producer = await clients.producer();
    await producer.send(topic, [{ key: 'k', value: new Uint8Array([1]), headers: {} }]);
    const negative: number[] = [];
    const original = globalThis.setTimeout;
    globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
      const delay = args[1];
      if (typeof delay === 'number' && delay < 0) negative.push(delay);
      return original(...args);
    }) as typeof setTimeout;
    try {
      // The connection is idle now; kafkajs' own timers run (or do not) meanwhile.
      await sleep(500);
    } finally {
      globalThis.setTimeout = original;
      await producer.close();
    }
    expect(negative.length).toBe(0);
  });
});
