import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allPages } from '../support/allPages.ts';
import { type LlmpProcess, startLlmp } from '../support/llmpProcess.ts';
import {
  fakeOpenAi,
  type GenAiMetricPoint,
  openAiV2Python as python,
  runEventOnlyChat,
  runMetricsApp,
} from '../support/openAiV2App.ts';
import { tempDir } from '../support/tempDir.ts';

// The official OpenTelemetry OpenAI instrumentation (opentelemetry-instrumentation-openai-v2) on
// the latest GenAI conventions with content captured as events only: the prompt and the answer
// reach llmp as an OTLP log record (gen_ai.client.inference.operation.details) beside a span
// without them, and the trace view shows them on the span. The venv comes from .ci/run
// (.tools/openai-v2). The same instrumentation with a MeterProvider sends the GenAI client
// metrics (histograms) to /v1/metrics. The same through the distributed roles:
// openAiV2EventsDistributed.test.ts.
describe.skipIf(!python && process.env.CI !== 'true')(
  'OpenAI instrumentation (Python app): content as events, GenAI client metrics',
  () => {
    const dir = tempDir('openai-v2');
    let llmp: LlmpProcess;
    let openAi: Awaited<ReturnType<typeof fakeOpenAi>>;
    beforeAll(async () => {
      llmp = await startLlmp({ dataDir: `${dir.path}/data` });
      openAi = await fakeOpenAi();
    });
    afterAll(async () => {
      openAi?.server.close();
      await llmp?.stop('SIGKILL');
      dir.remove();
    });

    it('shows the messages of the EVENT_ONLY log record on the LLM span', async () => {
      expect(python, 'run .ci/run or make the .tools/openai-v2 venv').toBeDefined();
      const { traceId, spanId } = await runEventOnlyChat(openAi.url, `http://127.0.0.1:${llmp.httpPort}`);
      expect(openAi.requests).toBe(1);

      const response = await llmp.api(`/v1/traces/${traceId}`);
      expect(response.status).toBe(200);
      const { spans } = (await response.json()) as {
        spans: Array<{
          spanId: string;
          spanType: string;
          attributes: Record<string, unknown>;
          genAi: { requestModel: string | null; inputText: string; outputText: string };
        }>;
      };
      const llm = spans.find((s) => s.spanId === spanId)!;
      expect(llm.spanType).toBe('llm');
      expect(llm.genAi.requestModel).toBe('gpt-4o-mini');
      // EVENT_ONLY: the span itself carries no messages, the log record does.
      expect(llm.attributes['gen_ai.input.messages']).toBeUndefined();
      expect(llm.genAi.inputText).toBe('system: Answer in one word.\nuser: Capital of France?');
      expect(llm.genAi.outputText).toBe('assistant: Paris.');
    });

    it('stores the gen_ai.client.token.usage and operation.duration histograms, readable per job', async () => {
      expect(python, 'run .ci/run or make the .tools/openai-v2 venv').toBeDefined();
      const before = openAi.requests;
      const jobId = 'openai-v2-metrics-job';
      expect(await runMetricsApp(openAi.url, `http://127.0.0.1:${llmp.httpPort}`, jobId)).toBe('ok');
      expect(openAi.requests - before).toBe(2);

      const read = (query: string) => allPages<GenAiMetricPoint>(llmp, `/v1/otel-metrics?${query}`);
      const usage = await read('name=gen_ai.client.token.usage&type=histogram');
      // One series per token type (input, output), each with both calls.
      const byTokenType = Object.fromEntries(usage.map((p) => [p.attributes['gen_ai.token.type'], p]));
      expect(byTokenType.input).toMatchObject({
        unit: '{token}',
        count: 2,
        sum: 42,
        jobId,
        serviceName: 'py-openai-v2-metrics',
      });
      expect(byTokenType.output).toMatchObject({ count: 2, sum: 4 });
      expect(byTokenType.input!.attributes['gen_ai.request.model']).toBe('gpt-4o-mini');
      expect(byTokenType.input!.bucketCounts).toHaveLength(byTokenType.input!.explicitBounds.length + 1);

      const [duration] = await read('name=gen_ai.client.operation.duration');
      expect(duration).toMatchObject({ type: 'histogram', unit: 's', count: 2, jobId });
      expect(duration!.sum).toBeGreaterThan(0);

      const job = await llmp.api(`/v1/jobs/${jobId}/otel-metrics`);
      const names = ((await job.json()) as { items: GenAiMetricPoint[] }).items.map((p) => p.name);
      expect(new Set(names)).toEqual(
        new Set(['gen_ai.client.token.usage', 'gen_ai.client.operation.duration']),
      );
    });
  },
);
