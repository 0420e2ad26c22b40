import { type ClickHouseStore, storeResource } from '@llmp/clickhouse';
import { jobsResource } from '@llmp/jobs';
import { type KafkaClients, kafkaResource } from '@llmp/kafka';
import { createHost, Registry } from '@llmp/pipeline';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { jobsProvider } from './hostResources.ts';

/** A pino logger writing JSON lines into `lines`. */
function capturingLogger(lines: Array<Record<string, unknown>>) {
  return pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
}

describe('jobsProvider', () => {
  it('says in one line which job events topic it could not check and what to do, and counts it', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const registry = new Registry();
    // Kafka not reachable at start: the topic check fails as kafkajs does, with a stack.
    const kafka = {
      ensureTopics: async () => {
        throw new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9');
      },
      producer: async () => ({ close: async () => undefined }),
    } as unknown as KafkaClients;
    const host = createHost({
      providers: [
        {
          key: storeResource,
          open: async () => ({ database: 'llmp', client: {} }) as unknown as ClickHouseStore,
        },
        { key: kafkaResource, open: async () => kafka },
        jobsProvider({ events: { topic: 'acme_job_events' }, logger: capturingLogger(lines), registry }),
      ],
    });
    expect(await host.get(jobsResource)).toBeDefined();

    const warnings = lines.filter((l) => l.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      topic: 'acme_job_events',
      reason: 'Connection error: connect ECONNREFUSED 127.0.0.1:9',
    });
    expect(warnings[0]!.msg).toContain('"acme_job_events"');
    expect(warnings[0]!.msg).toContain('kafka.brokers');
    // Not the whole error object (type, stack …): one readable line.
    expect(warnings[0]).not.toHaveProperty('err');
    expect(JSON.stringify(warnings[0])).not.toContain('    at ');
    expect(await registry.getSingleMetricAsString('llmp_job_events_topic_check_failures_total')).toContain(
      'llmp_job_events_topic_check_failures_total 1',
    );
    await host.shutdown();
  });
});
