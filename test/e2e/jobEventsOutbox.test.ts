import { describe, expect, it } from 'vitest';
import { isolatedTopics } from '../support/distributedRoles.ts';
import { dedicatedKafkaBroker } from '../support/kafkaBroker.ts';
import { readTopic } from '../support/kafkaTopicReader.ts';
import { startLlmp } from '../support/llmpProcess.ts';
import { processScope } from '../support/processScope.ts';
import { waitForMetric } from '../support/selfMetric.ts';

// The broker is taken down mid-test, so this suite has one of its own, never the run's shared one.
const kafka = await dedicatedKafkaBroker();
const { dir, track } = processScope('job-events-outbox', async () => kafka?.stop());

describe.runIf(kafka)('job events outbox (Kafka down, llmp restarted)', () => {
  it('sends every job event once Kafka is back, in order per job, also those stored before a crash', async () => {
    const topic = isolatedTopics('outbox').jobEvents;
    const query = () =>
      startLlmp({
        dataDir: `${dir.path}/query`,
        command: 'query',
        extraYaml: [
          'kafka:',
          `  brokers: "${kafka!.brokers.join(',')}"`,
          'jobEvents:',
          `  topic: ${topic}`,
        ].join('\n'),
      });
    let llmp = track(await query());
    const call = async (path: string, body?: unknown, method = 'POST') => {
      const response = await fetch(`http://127.0.0.1:${llmp.apiPort}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      expect(response.status, `${method} ${path}`).toBeLessThan(300);
    };
    const metrics = () => `http://127.0.0.1:${llmp.apiPort}/metrics`;

    await call('/v1/jobs', { id: 'alpha', name: 'alpha' });
    await waitForMetric(metrics(), 'llmp_job_events_published_total', {}, (v) => v === 1);

    // Kafka goes away: the API still stores every event, and none of them is lost.
    await kafka!.pause();
    await call('/v1/jobs', { id: 'beta', name: 'beta' });
    await call('/v1/jobs/alpha', { description: 'changed while Kafka was down' }, 'PATCH');
    await call('/v1/jobs/alpha/pause');
    await call('/v1/jobs/beta/complete');
    expect(await waitForMetric(metrics(), 'llmp_job_events_unpublished', {}, (v) => v === 4, 120_000)).toBe(
      4,
    );

    // A crash while they wait: only the store remembers them.
    await llmp.stop('SIGKILL');
    await kafka!.resume();
    llmp = track(await query());
    await waitForMetric(metrics(), 'llmp_job_events_resent_total', {}, (v) => v === 4, 60_000);

    // A consumer that is not ours reads the topic: every event exactly once, each job's in order.
    const records = await readTopic(kafka!.brokers.join(','), topic, 6, 15_000);
    const events = records.map((r) => ({ key: r.key, ...JSON.parse(r.value.toString()) }));
    const of = (job: string) => events.filter((e) => e.key === job).map((e) => [e.seq, e.kind]);
    expect(of('alpha')).toEqual([
      [1, 'created'],
      [2, 'updated'],
      [3, 'paused'],
    ]);
    expect(of('beta')).toEqual([
      [1, 'created'],
      [2, 'completed'],
    ]);
    expect(events).toHaveLength(5);
    expect(records.every((r) => r.headers['llmp-project'] === 'default')).toBe(true);
    expect(await waitForMetric(metrics(), 'llmp_job_events_unpublished', {}, (v) => v === 0)).toBe(0);
  });
});
