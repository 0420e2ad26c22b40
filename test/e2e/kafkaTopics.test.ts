import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { isolatedTopics, providedBrokers } from '../support/distributedRoles.ts';
import { type LlmpProcess, startLlmp } from '../support/llmpProcess.ts';
import { tempDir } from '../support/tempDir.ts';

const brokers = providedBrokers();
const dir = tempDir('kafka-topics');
let gateway: LlmpProcess | undefined;

afterAll(async () => {
  await gateway?.stop('SIGKILL');
  dir.remove();
});

describe.skipIf(brokers === '')('topics llmp creates', () => {
  it('get the partitions and replication factor of the kafka config section', async () => {
    const { topic, logsTopic } = isolatedTopics('topics');
    gateway = await startLlmp({
      dataDir: `${dir.path}/gateway`,
      command: 'gateway',
      extraYaml: [
        'kafka:',
        `  brokers: "${brokers}"`,
        '  topicPartitions: 3',
        '  topicReplicationFactor: 1',
        'exporters:',
        '  kafka:',
        `    topic: ${topic}`,
        `    logs: { topic: ${logsTopic} }`,
      ].join('\n'),
    });
    const admin = new Kafka({
      clientId: 'llmp-test-admin',
      brokers: brokers.split(','),
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    try {
      // The spans topic and, for the gateway's logs pipeline, the logs topic alike.
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic, logsTopic] });
      expect(topics.map((t) => t.name).sort()).toEqual([topic, logsTopic].sort());
      for (const t of topics) {
        expect(t.partitions).toHaveLength(3);
        expect(t.partitions.every((p) => p.replicas.length === 1)).toBe(true);
      }
    } finally {
      await admin.disconnect();
    }
  });
});
