import { randomBytes } from 'node:crypto';
import {
  compressionCodecs,
  kafkaExporter,
  kafkaExporterConfig,
  kafkajsClients,
  platformaticProducer,
} from '@llmp/kafka';
import { traceBatch } from '@llmp/otlp';
import { testRequest, testSpan } from '@llmp/otlp/testing';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { recordBatchCodecs } from '../support/kafka/recordBatchCodecs.ts';
import { dedicatedKafkaBroker } from '../support/kafkaBroker.ts';

// Issue 16, item 9: the gateway produces with the codec its config names. Readers decompress
// whatever they get, so only the broker's own files show whether the batches were compressed.
const kafka = await dedicatedKafkaBroker();
afterAll(() => kafka?.stop());
const logger = pino({ level: 'silent' });

describe.skipIf(!kafka)("the Kafka exporter's record batches on the broker", () => {
  it.each(compressionCodecs)('are compressed with exporters.kafka.compression=%s', async (codec) => {
    const topic = `llmp-exporter-codec-${codec}`;
    await kafkajsClients({
      brokers: kafka!.brokers,
      clientId: 'llmp-codec-test',
      logger,
      topicPartitions: 1,
      topicReplicationFactor: 1,
    }).ensureTopics([topic]);
    const producer = platformaticProducer({ brokers: kafka!.brokers, clientId: 'llmp-codec-test' });
    const exporter = kafkaExporter(
      producer,
      { id: 'kafka', logger },
      kafkaExporterConfig.parse({ topic, compression: codec }),
    );
    const spans = Array.from({ length: 20 }, () =>
      testSpan({ traceId: randomBytes(16).toString('hex'), spanId: randomBytes(8).toString('hex') }),
    );
    await exporter.consume(traceBatch({ projectId: 'p1', request: testRequest(spans) }));
    await exporter.shutdown();
    const batches = recordBatchCodecs(kafka!.logDir, topic);
    expect(batches.length).toBeGreaterThan(0);
    expect(new Set(batches)).toEqual(new Set([codec]));
  });
});
