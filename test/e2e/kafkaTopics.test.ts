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
    const { topic } = isolatedTopics('topics');
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
      ].join('\n'),
    });
    const admin = new Kafka({
      clientId: 'llmp-test-admin',
      brokers: brokers.split(','),
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(topics[0]?.partitions).toHaveLength(3);
      expect(topics[0]?.partitions.every((p) => p.replicas.length === 1)).toBe(true);
    } finally {
      await admin.disconnect();
    }
  });
});
