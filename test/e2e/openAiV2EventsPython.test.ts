import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LlmpProcess, repoRoot, startLlmp } from '../support/llmpProcess.ts';
import { runPythonApp, venvPython } from '../support/pythonApp.ts';
import { tempDir } from '../support/tempDir.ts';

// The official OpenTelemetry OpenAI instrumentation (opentelemetry-instrumentation-openai-v2) on
// the latest GenAI conventions with content captured as events only: the prompt and the answer
// reach llmp as an OTLP log record (gen_ai.client.inference.operation.details) beside a span
// without them, and the trace view shows them on the span. The venv comes from .ci/run
// (.tools/openai-v2).
const python = venvPython('LLMP_OPENAI_V2_PYTHON', 'openai-v2');
const app = join(repoRoot, 'test/fixtures/openAiV2EventOnlyApp.py');

/** Answers every chat completion with "Paris.", as OpenAI does. */
function fakeOpenAi(): Promise<{ server: Server; url: string; requests: number }> {
  const state = { server: undefined as unknown as Server, url: '', requests: 0 };
  state.server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      state.requests++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: 'chatcmpl-1',
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: 'gpt-4o-mini-2024-07-18',
          choices: [{ index: 0, message: { role: 'assistant', content: 'Paris.' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 21, completion_tokens: 2, total_tokens: 23 },
        }),
      );
    });
  });
  return new Promise((resolve) =>
    state.server.listen(0, '127.0.0.1', () => {
      const { port } = state.server.address() as { port: number };
      state.url = `http://127.0.0.1:${port}/v1`;
      resolve(state);
    }),
  );
}

function runApp(env: Record<string, string>): Promise<string> {
  return runPythonApp({ python: python!, app, env, name: 'the openai-v2 app' });
}

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
