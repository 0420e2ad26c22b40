import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allPages } from '../support/allPages.ts';
import { isolatedTopics, providedBrokers, startGateway, startIngester } from '../support/distributedRoles.ts';
import { waitFor } from '../support/kafkaTopicReader.ts';
import type { LlmpProcess } from '../support/llmpProcess.ts';
import {
  fakeOpenAi,
  type GenAiMetricPoint,
  openAiV2Python as python,
  runEventOnlyChat,
  runMetricsApp,
} from '../support/openAiV2App.ts';
import { tempDir } from '../support/tempDir.ts';

// Issue 18, "Done when": the official OpenTelemetry OpenAI instrumentation
// (opentelemetry-instrumentation-openai-v2) in EVENT_ONLY mode through the distributed roles on
// a real broker: the span goes gateway → otlp_spans → ingester, the log record with the messages
// gateway → otlp_logs → ingester, and the trace view shows the messages on the LLM span. With a
// MeterProvider its GenAI client metrics go gateway → otlp_metrics → ingester → otel_metrics_*.
const brokers = providedBrokers();

interface LlmSpan {
  spanId: string;
  spanType: string;
  attributes: Record<string, unknown>;
  genAi: { requestModel: string | null; inputText: string; outputText: string };
}

describe.skipIf(brokers === '' || (!python && process.env.CI !== 'true'))(
  'OpenAI instrumentation, content as events, through gateway → Kafka → ingester (Python app)',
  () => {
    const dir = tempDir('openai-v2-distributed');
    const running: LlmpProcess[] = [];
    let openAi: Awaited<ReturnType<typeof fakeOpenAi>>;
    let gateway: LlmpProcess;
    let ingester: LlmpProcess;
    beforeAll(async () => {
      const topics = isolatedTopics('openaiv2');
      gateway = await startGateway({ dataDir: `${dir.path}/gateway`, brokers, topics });
      running.push(gateway);
      ingester = await startIngester({ dataDir: `${dir.path}/ingester`, brokers, topics });
      running.push(ingester);
      openAi = await fakeOpenAi();
    });
    afterAll(async () => {
      openAi?.server.close();
      for (const p of running) await p.stop('SIGKILL');
      dir.remove();
    });

    it('shows the messages of the EVENT_ONLY log record on the LLM span', async () => {
      expect(python, 'run .ci/run or make the .tools/openai-v2 venv').toBeDefined();
      const { traceId, spanId } = await runEventOnlyChat(openAi.url, `http://127.0.0.1:${gateway.httpPort}`);
      expect(openAi.requests).toBe(1);

      // Spans and log records travel on different topics: wait until both are stored.
      const llm = await waitFor(
        async () => {
          const response = await ingester.api(`/v1/traces/${traceId}`);
          if (response.status !== 200) return undefined;
          const { spans } = (await response.json()) as { spans: LlmSpan[] };
          return spans.find((s) => s.spanId === spanId);
        },
        (span) => (span?.genAi.outputText ?? '') !== '',
      );
      expect(llm?.spanType).toBe('llm');
      expect(llm?.genAi.requestModel).toBe('gpt-4o-mini');
      // EVENT_ONLY: the span itself carries no messages, the log record does.
      expect(llm?.attributes['gen_ai.input.messages']).toBeUndefined();
      expect(llm?.genAi.inputText).toBe('system: Answer in one word.\nuser: Capital of France?');
      expect(llm?.genAi.outputText).toBe('assistant: Paris.');
      const logs = await ingester.api(`/v1/logs?traceId=${traceId}`);
      expect(((await logs.json()) as { items: Array<{ eventName: string }> }).items).toEqual([
        expect.objectContaining({ eventName: 'gen_ai.client.inference.operation.details' }),
      ]);
    });

    it('stores the gen_ai.client.token.usage and operation.duration histograms sent to the gateway', async () => {
      expect(python, 'run .ci/run or make the .tools/openai-v2 venv').toBeDefined();
      const before = openAi.requests;
      const jobId = 'openai-v2-distributed-metrics-job';
      expect(await runMetricsApp(openAi.url, `http://127.0.0.1:${gateway.httpPort}`, jobId)).toBe('ok');
      expect(openAi.requests - before).toBe(2);

      const read = (query: string) => allPages<GenAiMetricPoint>(ingester, `/v1/otel-metrics?${query}`);
      // The points travel gateway → otlp_metrics → ingester: wait until both series are stored.
      // The app flushes, then shuts down (which exports the cumulative series once more).
      const usage = await waitFor(
        () => read('name=gen_ai.client.token.usage&type=histogram'),
        (points) => new Set(points.map((p) => p.attributes['gen_ai.token.type'])).size >= 2,
      );
      const ofType = (type: string) => usage.filter((p) => p.attributes['gen_ai.token.type'] === type);
      expect(new Set(usage.map((p) => p.attributes['gen_ai.token.type']))).toEqual(
        new Set(['input', 'output']),
      );
      for (const point of ofType('input'))
        expect(point).toMatchObject({
          unit: '{token}',
          count: 2,
          sum: 42,
          jobId,
          serviceName: 'py-openai-v2-metrics',
        });
      for (const point of ofType('output')) expect(point).toMatchObject({ count: 2, sum: 4 });
      const duration = await waitFor(
        () => read('name=gen_ai.client.operation.duration'),
        (points) => points.length >= 1,
      );
      for (const point of duration)
        expect(point).toMatchObject({ type: 'histogram', unit: 's', count: 2, jobId });
      expect(duration[0]!.sum).toBeGreaterThan(0);
    });
  },
);
