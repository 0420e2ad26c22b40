import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedTopics, providedBrokers, startGateway, startIngester } from '../support/distributedRoles.ts';
import { waitFor } from '../support/kafkaTopicReader.ts';
import type { LlmpProcess } from '../support/llmpProcess.ts';
import { fakeOpenAi, openAiV2Python as python, runOpenAiV2App } from '../support/openAiV2App.ts';
import { tempDir } from '../support/tempDir.ts';

// Issue 18, "Done when": the official OpenTelemetry OpenAI instrumentation
// (opentelemetry-instrumentation-openai-v2) in EVENT_ONLY mode through the distributed roles on
// a real broker: the span goes gateway → otlp_spans → ingester, the log record with the messages
// gateway → otlp_logs → ingester, and the trace view shows the messages on the LLM span.
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
      const [traceId, spanId] = (
        await runOpenAiV2App({
          OPENAI_BASE_URL: openAi.url,
          OTLP_URL: `http://127.0.0.1:${gateway.httpPort}`,
          OTEL_SEMCONV_STABILITY_OPT_IN: 'gen_ai_latest_experimental',
          OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'EVENT_ONLY',
        })
      ).split(' ');
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
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
  },
);
