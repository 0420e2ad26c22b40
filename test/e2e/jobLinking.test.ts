import { randomBytes } from 'node:crypto';
import { type Context, ROOT_CONTEXT, type Span, type Tracer, trace } from '@opentelemetry/api';
import { afterAll, describe, expect, it } from 'vitest';
import { type LlmpProcess, startLlmp } from '../support/llmpProcess.ts';
import { sendSpans } from '../support/sdkSpans.ts';
import { tempDir } from '../support/tempDir.ts';

const dir = tempDir('job-linking');
const running: LlmpProcess[] = [];
afterAll(async () => {
  for (const p of running) await p.stop('SIGKILL');
  dir.remove();
});

interface ApiSpan {
  spanId: string;
  parentSpanId: string;
  name: string;
  attributes: Record<string, unknown>;
  jobId: string | null;
  jobVersion: string | null;
}

const child = (tracer: Tracer, name: string, parent: Context, attributes = {}): Span =>
  tracer.startSpan(name, { attributes }, parent);

describe('span ↔ job linking in llmp start', () => {
  it('links every span of a trace whose only job-carrying span, the root, arrives last, after a restart', async () => {
    const dataDir = `${dir.path}/data`;
    const aliases = 'processors:\n  jobs:\n    aliases:\n      id: ["app.job_id"]\n';
    const first = await startLlmp({ dataDir, extraYaml: aliases });
    running.push(first);

    const traceId = randomBytes(16).toString('hex');
    const rootSpanId = randomBytes(8).toString('hex');
    // The children name their parent (the root, not sent yet) through a remote span context.
    const remoteRoot = trace.setSpanContext(ROOT_CONTEXT, {
      traceId,
      spanId: rootSpanId,
      traceFlags: 1,
      isRemote: true,
    });
    await sendSpans(first.httpPort, (tracer) => {
      const retrieve = child(tracer, 'retrieve tickets', remoteRoot);
      const chat = child(tracer, 'chat gpt-4o', trace.setSpan(remoteRoot, retrieve), {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'gpt-4o',
      });
      chat.end();
      retrieve.end();
    });

    // A job paused before its spans arrive: they are stored, and flagged. It is named through
    // the configured alias.
    const post = (path: string, body?: unknown) =>
      fetch(`http://127.0.0.1:${first.apiPort}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    expect((await post('/v1/jobs', { id: 'nightly-eval', name: 'nightly eval' })).status).toBe(201);
    expect((await post('/v1/jobs/nightly-eval/pause')).status).toBe(200);
    let pausedTrace = '';
    await sendSpans(first.httpPort, (tracer) => {
      const span = tracer.startSpan('eval run', { attributes: { 'app.job_id': 'nightly-eval' } });
      pausedTrace = span.spanContext().traceId;
      span.end();
    });

    expect(await first.stop('SIGTERM')).toBe(0);
    const second = await startLlmp({ dataDir, extraYaml: aliases });
    running.push(second);

    // Before the root arrives, the trace belongs to no job.
    const before = (await (await second.api(`/v1/traces/${traceId}`)).json()) as { spans: ApiSpan[] };
    expect(before.spans.map((s) => s.jobId)).toEqual([null, null]);

    // The root, with the job, last and in its own request, to the restarted process.
    await sendSpans(
      second.httpPort,
      (tracer) => {
        const root = tracer.startSpan('POST /support', {
          attributes: { 'llmp.job.id': 'support-answers', 'llmp.job.version': '3' },
        });
        expect(root.spanContext()).toMatchObject({ traceId, spanId: rootSpanId });
        root.end();
      },
      { generateTraceId: () => traceId, generateSpanId: () => rootSpanId },
    );

    const traces = await second.api('/v1/jobs/support-answers/traces');
    expect(traces.status).toBe(200);
    const listed = (await traces.json()) as { items: Array<{ traceId: string; jobVersions: string[] }> };
    expect(listed.items).toEqual([expect.objectContaining({ traceId, jobVersions: ['3'] })]);

    const view = (await (await second.api(`/v1/traces/${traceId}`)).json()) as { spans: ApiSpan[] };
    expect(view.spans.map((s) => s.name).sort()).toEqual([
      'POST /support',
      'chat gpt-4o',
      'retrieve tickets',
    ]);
    for (const span of view.spans) expect(span).toMatchObject({ jobId: 'support-answers', jobVersion: '3' });
    expect(view.spans.find((s) => s.name === 'retrieve tickets')!.parentSpanId).toBe(rootSpanId);

    // The job id was unknown: the span registered it, marked as discovered.
    const job = await second.api('/v1/jobs/support-answers');
    expect(job.status).toBe(200);
    expect(await job.json()).toMatchObject({
      id: 'support-answers',
      name: 'support-answers',
      job_type: 'llm_task',
      status: 'active',
      version: 1,
      discovered: true,
    });
    const events = (await (await second.api('/v1/jobs/support-answers/events')).json()) as {
      items: Array<{ kind: string; actor: string | null }>;
    };
    expect(events.items).toEqual([expect.objectContaining({ kind: 'discovered', actor: 'ingest' })]);

    // The span sent into the paused job is stored, linked through the alias, and flagged.
    const paused = (await (await second.api(`/v1/traces/${pausedTrace}`)).json()) as { spans: ApiSpan[] };
    expect(paused.spans).toHaveLength(1);
    expect(paused.spans[0]).toMatchObject({ jobId: 'nightly-eval' });
    expect(paused.spans[0]!.attributes).toMatchObject({
      'app.job_id': 'nightly-eval',
      'llmp.job.id': 'nightly-eval',
      'llmp.job.status': 'paused',
    });
    const pausedTraces = (await (await second.api('/v1/jobs/nightly-eval/traces')).json()) as {
      items: Array<{ traceId: string }>;
    };
    expect(pausedTraces.items.map((t) => t.traceId)).toEqual([pausedTrace]);

    expect(await second.stop('SIGTERM')).toBe(0);
  });
});
