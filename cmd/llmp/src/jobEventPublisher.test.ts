import type { JobEvent } from '@llmp/jobs';
import type { KafkaProducer, OutgoingRecord } from '@llmp/kafka';
import { Registry } from '@llmp/pipeline';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { jobEventPublisher } from './jobEventPublisher.ts';

const event = (id: string): JobEvent =>
  ({
    id,
    job_id: 'summarise',
    seq: 1,
    kind: 'created',
    actor: null,
    time: '2026-12-05T23:00:00.000Z',
    version: '1',
    status: 'active',
    changes: {},
  }) as unknown as JobEvent;

/** Sends that fail as the producer does once its own retries are spent (Kafka not reachable). */
function failingProducer(sent: OutgoingRecord[][]): KafkaProducer {
  return {
    async send(_topic, records) {
      sent.push(records);
      throw Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9'), {
        stack: 'Error: Connection error\n    at connect (net.js:1:1)',
      });
    },
    async close() {},
  };
}

const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('jobEventPublisher', () => {
  it('logs each failed send in one line (topic, reason, the event kept in job_events) and counts it', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const registry = new Registry();
    const sent: OutgoingRecord[][] = [];
    const publish = jobEventPublisher({
      producer: failingProducer(sent),
      topic: 'acme_job_events',
      logger,
      registry,
    });
    publish('acme', event('e1'));
    publish('acme', event('e2'));
    await settled();

    expect(sent).toHaveLength(2);
    const warnings = lines.filter((l) => l.level === 40);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatchObject({
      topic: 'acme_job_events',
      reason: 'Connection error: connect ECONNREFUSED 127.0.0.1:9',
      jobId: 'summarise',
      eventId: 'e1',
    });
    expect(warnings[0]!.msg).toContain('"acme_job_events"');
    expect(warnings[0]!.msg).toContain('job_events');
    expect(warnings[0]!.msg).toContain('not sent again');
    // One readable line, not the error object with its stack.
    expect(warnings[0]).not.toHaveProperty('err');
    expect(JSON.stringify(warnings)).not.toContain('    at ');
    expect(await registry.getSingleMetricAsString('llmp_job_events_publish_failures_total')).toContain(
      'llmp_job_events_publish_failures_total 2',
    );
  });

  it('counts and logs nothing for a send Kafka acknowledged', async () => {
    const lines: string[] = [];
    const registry = new Registry();
    const sent: Array<[string, OutgoingRecord[]]> = [];
    const publish = jobEventPublisher({
      producer: {
        async send(topic, records) {
          sent.push([topic, records]);
        },
        async close() {},
      },
      topic: 'acme_job_events',
      logger: pino({ level: 'info' }, { write: (line: string) => lines.push(line) }),
      registry,
    });
    publish('acme', event('e1'));
    await settled();
    expect(sent.map(([topic, records]) => [topic, records[0]?.key, records[0]?.headers])).toEqual([
      ['acme_job_events', 'summarise', { 'llmp-project': 'acme' }],
    ]);
    expect(lines).toEqual([]);
    expect(await registry.getSingleMetricAsString('llmp_job_events_publish_failures_total')).toContain(
      'llmp_job_events_publish_failures_total 0',
    );
  });
});
