import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LlmpProcess, startLlmp } from '../support/llmpProcess.ts';
import { fakeOpenAi, openAiV2Python as python, runOpenAiV2App as runApp } from '../support/openAiV2App.ts';
import { tempDir } from '../support/tempDir.ts';

// The official OpenTelemetry OpenAI instrumentation (opentelemetry-instrumentation-openai-v2) on
// the latest GenAI conventions with content captured as events only: the prompt and the answer
// reach llmp as an OTLP log record (gen_ai.client.inference.operation.details) beside a span
// without them, and the trace view shows them on the span. The venv comes from .ci/run
// (.tools/openai-v2). The same through the distributed roles: openAiV2EventsDistributed.test.ts.
describe.skipIf(!python && process.env.CI !== 'true')(
  'OpenAI instrumentation, content as events (Python app)',
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
      const [traceId, spanId] = (
        await runApp({
          OPENAI_BASE_URL: openAi.url,
          OTLP_URL: `http://127.0.0.1:${llmp.httpPort}`,
          OTEL_SEMCONV_STABILITY_OPT_IN: 'gen_ai_latest_experimental',
          OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'EVENT_ONLY',
        })
      ).split(' ');
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
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
  },
);
