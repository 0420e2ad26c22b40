import { randomBytes } from 'node:crypto';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { afterAll, describe, expect, it } from 'vitest';
import {
  isolatedTopics,
  providedBrokers,
  spanCounts,
  startGateway,
  startIngester,
} from '../support/distributedRoles.ts';
import type { LlmpProcess } from '../support/llmpProcess.ts';
import { sendSpans } from '../support/sdkSpans.ts';
import { tempDir } from '../support/tempDir.ts';

const brokers = providedBrokers();
const dir = tempDir('distributed-jobs');
const running: LlmpProcess[] = [];
const track = (p: LlmpProcess) => {
  running.push(p);
  return p;
};
afterAll(async () => {
  for (const p of running) await p.stop('SIGKILL');
  dir.remove();
});

interface ApiSpan {
  name: string;
  jobId: string | null;
  jobVersion: string | null;
}

describe.skipIf(!brokers)('span ↔ job linking through Kafka (gateway → otlp_spans → ingester)', () => {
  it('links a trace whose root, the only span with the job, arrives last, after an ingester restart', async () => {
    const topics = isolatedTopics('jobs');
    const gateway = track(await startGateway({ dataDir: `${dir.path}/gateway`, brokers, topics }));
    const ingesterDir = `${dir.path}/ingester`;
    const first = track(await startIngester({ dataDir: ingesterDir, brokers, topics }));

    const traceId = randomBytes(16).toString('hex');
    const rootSpanId = randomBytes(8).toString('hex');
    const remoteRoot = trace.setSpanContext(ROOT_CONTEXT, {
      traceId,
      spanId: rootSpanId,
      traceFlags: 1,
      isRemote: true,
    });
    await sendSpans(gateway.httpPort, (tracer) => {
      const step = tracer.startSpan('plan', {}, remoteRoot);
      tracer.startSpan('chat claude', {}, trace.setSpan(remoteRoot, step)).end();
      step.end();
    });
    expect([...(await spanCounts(first, [traceId], 2)).values()]).toEqual([2]);
    expect(await first.stop('SIGTERM')).toBe(0);

    const second = track(await startIngester({ dataDir: ingesterDir, brokers, topics }));
    await sendSpans(
      gateway.httpPort,
      (tracer) =>
        tracer
          .startSpan('agent run', { attributes: { 'llmp.job.id': 'kafka-agent', 'llmp.job.version': '1' } })
          .end(),
      { generateTraceId: () => traceId, generateSpanId: () => rootSpanId },
    );
    expect([...(await spanCounts(second, [traceId], 3)).values()]).toEqual([3]);

    const traces = (await (await second.api('/v1/jobs/kafka-agent/traces')).json()) as {
      items: Array<{ traceId: string }>;
    };
    expect(traces.items.map((t) => t.traceId)).toEqual([traceId]);
    const view = (await (await second.api(`/v1/traces/${traceId}`)).json()) as { spans: ApiSpan[] };
    expect(view.spans.map((s) => [s.name, s.jobId, s.jobVersion]).sort()).toEqual([
      ['agent run', 'kafka-agent', '1'],
      ['chat claude', 'kafka-agent', '1'],
      ['plan', 'kafka-agent', '1'],
    ]);
    expect(await (await second.api('/v1/jobs/kafka-agent')).json()).toMatchObject({ discovered: true });
  });
});
