import { Kafka, logLevel } from 'kafkajs';

export interface ReadRecord {
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
}

/**
 * Every record of a topic from the beginning, read by a plain kafkajs consumer in a group of its
 * own (not llmp's code), until `count` arrived or `timeoutMs` passed.
 * @example const records = await readTopic(brokers, 'otlp_logs', 2);
 */
export async function readTopic(brokers: string, topic: string, count: number, timeoutMs = 30_000) {
  const consumer = new Kafka({
    clientId: 'llmp-test-reader',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
  }).consumer({ groupId: `reader-${topic}-${Date.now()}` });
  const records: ReadRecord[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    void consumer.run({
      eachMessage: async ({ message }) => {
        records.push({
          key: message.key ? message.key.toString() : null,
          value: message.value ?? Buffer.alloc(0),
          headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
        });
        if (records.length >= count) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return records;
}

/**
 * Polls `probe` until `done` holds or the time is up, then returns the last value (the test
 * asserts on it, so a timeout fails with what was seen).
 * @example const logs = await waitFor(() => storedLogs(api, q), (l) => l.length === 3);
 */
export async function waitFor<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 300));
  }
}
