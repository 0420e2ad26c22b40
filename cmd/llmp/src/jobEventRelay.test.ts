import type { JobEvent, JobEventOutbox, ProjectJobEvent } from '@llmp/jobs';
import type { KafkaProducer, OutgoingRecord } from '@llmp/kafka';
import { Registry } from '@llmp/pipeline';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { jobEventRelay } from './jobEventRelay.ts';

const event = (job: string, seq: number): ProjectJobEvent => ({
  projectId: 'acme',
  event: { id: `${job}-${seq}`, job_id: job, seq, kind: 'updated' } as unknown as JobEvent,
});

/** The outbox in memory: what is stored and not marked, in (job, seq) order. */
function memoryOutbox(stored: ProjectJobEvent[]): JobEventOutbox & { marked: Set<string> } {
  const marked = new Set<string>();
  const pending = () =>
    stored
      .filter((e) => !marked.has(e.event.id))
      .sort((a, b) => a.event.job_id.localeCompare(b.event.job_id) || a.event.seq - b.event.seq);
  return {
    marked,
    unpublished: async (limit) => pending().slice(0, limit),
    count: async () => pending().length,
    markPublished: async (events) => {
      for (const e of events) marked.add(e.event.id);
    },
  };
}

/** A producer whose sends fail while `down` holds, as after the producer's own retries. */
function switchableProducer() {
  const sent: OutgoingRecord[] = [];
  const state = { down: false, attempts: 0 };
  const producer: KafkaProducer = {
    async send(_topic, records) {
      state.attempts++;
      if (state.down) throw new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9');
      sent.push(...records);
    },
    async close() {},
  };
  return { producer, sent, state };
}

const until = async (done: () => boolean) => {
  for (let i = 0; i < 500 && !done(); i++) await new Promise((r) => setTimeout(r, 2));
  expect(done()).toBe(true);
};

describe('jobEventRelay', () => {
  it('holds events while sends fail, then sends them in order per job, counted and logged once', async () => {
    const stored = [event('b', 1), event('a', 1)];
    const outbox = memoryOutbox(stored);
    const { producer, sent, state } = switchableProducer();
    const registry = new Registry();
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    state.down = true;
    const relay = jobEventRelay({
      outbox,
      producer,
      topic: 'acme_job_events',
      logger,
      registry,
      batchSize: 2,
      minBackoffMs: 5,
      maxBackoffMs: 5,
    });
    relay.start();
    await until(() => state.attempts >= 3);
    stored.push(event('a', 2), event('a', 3));
    relay.kick();
    expect(await registry.getSingleMetricAsString('llmp_job_events_unpublished')).toMatch(
      /llmp_job_events_unpublished [24]\n?$/,
    );
    state.down = false;
    await until(() => sent.length === 4);
    await relay.close();

    expect(sent.map((r) => `${r.key}:${JSON.parse(String(r.value)).seq}`)).toEqual([
      'a:1',
      'a:2',
      'a:3',
      'b:1',
    ]);
    expect(sent[0]!.headers).toEqual({ 'llmp-project': 'acme' });
    expect(JSON.parse(String(sent[0]!.value))).toMatchObject({ project_id: 'acme', id: 'a-1' });
    expect(outbox.marked.size).toBe(4);
    expect(await registry.getSingleMetricAsString('llmp_job_events_resent_total')).toContain(
      'llmp_job_events_resent_total 4',
    );
    expect(await registry.getSingleMetricAsString('llmp_job_events_unpublished')).toContain(
      'llmp_job_events_unpublished 0',
    );
    const warnings = lines.filter((l) => l.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ topic: 'acme_job_events', unpublished: 2 });
    expect(lines.filter((l) => l.level === 30 && l.resent === 4)).toHaveLength(1);
  });

  it('sends an event as soon as it is stored when Kafka answers, not as a re-send', async () => {
    const stored: ProjectJobEvent[] = [];
    const outbox = memoryOutbox(stored);
    const { producer, sent } = switchableProducer();
    const registry = new Registry();
    const relay = jobEventRelay({
      outbox,
      producer,
      topic: 't',
      logger: pino({ level: 'silent' }),
      registry,
    });
    relay.start();
    // The look at the outbox at start finds it empty.
    await new Promise((r) => setTimeout(r, 10));
    stored.push(event('a', 1));
    relay.kick();
    await until(() => sent.length === 1);
    await relay.close();
    expect(await registry.getSingleMetricAsString('llmp_job_events_published_total')).toContain(
      'llmp_job_events_published_total 1',
    );
    expect(await registry.getSingleMetricAsString('llmp_job_events_resent_total')).toContain(
      'llmp_job_events_resent_total 0',
    );
  });

  it('closes without waiting for ever on a send that does not settle (Kafka down, producer retrying)', async () => {
    const outbox = memoryOutbox([event('a', 1)]);
    let attempts = 0;
    const producer: KafkaProducer = {
      send: () => {
        attempts++;
        return new Promise(() => {});
      },
      async close() {},
    };
    const relay = jobEventRelay({
      outbox,
      producer,
      topic: 't',
      logger: pino({ level: 'silent' }),
      closeTimeoutMs: 20,
    });
    relay.start();
    await until(() => attempts === 1);
    await relay.close();
    expect(outbox.marked.size).toBe(0);
  });
});
