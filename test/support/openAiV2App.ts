import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { repoRoot } from './llmpProcess.ts';
import { runPythonApp, venvPython } from './pythonApp.ts';

/**
 * The Python of the venv with the official OpenTelemetry OpenAI instrumentation
 * (opentelemetry-instrumentation-openai-v2, made by .ci/run as .tools/openai-v2); undefined when
 * it is not there.
 */
export const openAiV2Python = venvPython('LLMP_OPENAI_V2_PYTHON', 'openai-v2');

const app = join(repoRoot, 'test/fixtures/openAiV2EventOnlyApp.py');

/**
 * A local stand-in for the OpenAI API: answers every chat completion with "Paris.", as OpenAI
 * does, and counts the requests.
 * @example const openAi = await fakeOpenAi(); // openAi.url is the client's base URL
 */
export function fakeOpenAi(): Promise<{ server: Server; url: string; requests: number }> {
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

/**
 * Runs `script` (default test/fixtures/openAiV2EventOnlyApp.py: one chat completion,
 * instrumented) with `env` and resolves with what it prints (that app: the LLM span's trace id and
 * span id).
 * @example const [traceId, spanId] = (await runOpenAiV2App({ OPENAI_BASE_URL, OTLP_URL, … })).split(' ');
 */
export function runOpenAiV2App(env: Record<string, string>, script = app): Promise<string> {
  return runPythonApp({ python: openAiV2Python!, app: script, env, name: 'the openai-v2 app' });
}
