import { ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LlmpProcess, startLlmp } from '../support/llmpProcess.ts';
import { tempDir } from '../support/tempDir.ts';

// Evaluation results (GenAI semantic conventions, event gen_ai.evaluation.result) sent as log
// records in the evaluated span's context, and as span events by older instrumentations, become
// scores of the span, of its trace and of the job the trace runs for.

const dir = tempDir('evaluation-scores');
let llmp: LlmpProcess;

beforeAll(async () => {
  llmp = await startLlmp({ dataDir: `${dir.path}/data` });
});

afterAll(async () => {
  expect(await llmp?.stop()).toBe(0);
  dir.remove();
});

interface Score {
  name: string;
  score: number | null;
  label: string;
  explanation: string;
  evaluator: string;
  source: string;
}

describe('gen_ai.evaluation.result', () => {
  it('stores results from log records and span events as scores of the span, the trace and the job', async () => {
    const resource = resourceFromAttributes({ 'service.name': 'judge-app' });
    const tracerProvider = new TracerProvider({
      resource,
      spanProcessors: [
        new SimpleSpanProcessor({
          exporter: new OTLPTraceExporter({ url: `http://127.0.0.1:${llmp.httpPort}/v1/traces` }),
        }),
      ],
    });
    const loggerProvider = new LoggerProvider({
      resource,
      processors: [
        new SimpleLogRecordProcessor({
          exporter: new OTLPLogExporter({ url: `http://127.0.0.1:${llmp.httpPort}/v1/logs` }),
        }),
      ],
    });
    const tracer = tracerProvider.getTracer('llmp-e2e');
    const root = tracer.startSpan('label batch', {
      attributes: { 'llmp.job.id': 'judge-run', 'llmp.job.type': 'judge_labeling' },
    });
    const inRoot = trace.setSpan(ROOT_CONTEXT, root);
    const chat = tracer.startSpan(
      'chat gpt-4o',
      {
        kind: SpanKind.CLIENT,
        attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o' },
      },
      inRoot,
    );
    // Before the span is sent: a result is a score whichever arrives first.
    const evaluator = loggerProvider.getLogger('ragas-judge');
    const relevance = {
      context: trace.setSpan(ROOT_CONTEXT, chat),
      timestamp: Date.now(),
      eventName: 'gen_ai.evaluation.result',
      attributes: {
        'gen_ai.evaluation.name': 'Relevance',
        'gen_ai.evaluation.score.value': 0.75,
        'gen_ai.evaluation.score.label': 'relevant',
        'gen_ai.evaluation.explanation': 'answers the question',
        'gen_ai.response.id': 'chatcmpl-1',
      },
    };
    evaluator.emit(relevance);
    // The same record again (as a sender's retry sends it) is one score.
    evaluator.emit({ ...relevance });
    evaluator.emit({
      context: trace.setSpan(ROOT_CONTEXT, chat),
      eventName: 'gen_ai.evaluation.result',
      attributes: { 'gen_ai.evaluation.name': 'Toxicity', 'gen_ai.evaluation.score.label': 'pass' },
    });
    // Not an evaluation result: no score.
    evaluator.emit({ context: trace.setSpan(ROOT_CONTEXT, chat), eventName: 'app.note', body: 'hi' });
    await loggerProvider.forceFlush();
    chat.end();
    // The older way: a span event on the evaluated span.
    root.addEvent('gen_ai.evaluation.result', {
      'gen_ai.evaluation.name': 'Relevance',
      'gen_ai.evaluation.score.value': 0.25,
      'gen_ai.evaluation.score.label': 'not_relevant',
      'gen_ai.evaluation.evaluator': 'nightly-judge',
    });
    root.end();
    await tracerProvider.forceFlush();
    await Promise.all([loggerProvider.shutdown(), tracerProvider.shutdown()]);

    const { traceId } = root.spanContext();
    const body = (await (await llmp.api(`/v1/traces/${traceId}`)).json()) as {
      spans: Array<{ spanId: string; scores?: Score[] }>;
    };
    const scoresOf = (spanId: string) => body.spans.find((s) => s.spanId === spanId)?.scores;
    expect(scoresOf(chat.spanContext().spanId)).toEqual([
      expect.objectContaining({
        name: 'Relevance',
        score: 0.75,
        label: 'relevant',
        explanation: 'answers the question',
        evaluator: 'ragas-judge',
        responseId: 'chatcmpl-1',
        source: 'log_record',
      }),
      expect.objectContaining({ name: 'Toxicity', score: null, label: 'pass', source: 'log_record' }),
    ]);
    expect(scoresOf(root.spanContext().spanId)).toEqual([
      expect.objectContaining({
        name: 'Relevance',
        score: 0.25,
        label: 'not_relevant',
        evaluator: 'nightly-judge',
        source: 'span_event',
      }),
    ]);

    // Per job: every result of its trace, newest first, one per page, each page once.
    const seen: Score[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const page = await llmp.api(`/v1/jobs/judge-run/scores?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      const json = (await page.json()) as { items: Score[]; next_cursor: string | null };
      seen.push(...json.items);
      cursor = json.next_cursor;
    }
    expect(seen.map((s) => `${s.name}:${s.label}`).sort()).toEqual([
      'Relevance:not_relevant',
      'Relevance:relevant',
      'Toxicity:pass',
    ]);

    const metrics = (await (await llmp.api('/v1/jobs/judge-run/metrics')).json()) as {
      runs: number;
      evaluations: unknown[];
    };
    expect(metrics.runs).toBe(1);
    expect(metrics.evaluations).toEqual([
      {
        name: 'Relevance',
        count: 2,
        scored: 2,
        mean: 0.5,
        min: 0.25,
        max: 0.75,
        labels: { not_relevant: 1, relevant: 1 },
      },
      { name: 'Toxicity', count: 1, scored: 0, mean: null, min: null, max: null, labels: { pass: 1 } },
    ]);
    expect((await llmp.api('/v1/jobs/no-such-job/scores')).status).toBe(404);
  });
});
