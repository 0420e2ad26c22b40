import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { expect } from 'vitest';
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

const metricsApp = join(repoRoot, 'test/fixtures/openAiV2MetricsApp.py');

/**
 * Runs the EVENT_ONLY app (latest GenAI conventions, messages as a log record only) against the
 * OTLP/HTTP base URL `otlpUrl`: one chat completion. Resolves with its LLM span's ids (checked
 * to be a trace id).
 * @example const { traceId, spanId } = await runEventOnlyChat(openAi.url, `http://127.0.0.1:${port}`);
 */
export async function runEventOnlyChat(
  openAiUrl: string,
  otlpUrl: string,
): Promise<{ traceId: string; spanId: string }> {
  const [traceId = '', spanId = ''] = (
    await runOpenAiV2App({
      OPENAI_BASE_URL: openAiUrl,
      OTLP_URL: otlpUrl,
      OTEL_SEMCONV_STABILITY_OPT_IN: 'gen_ai_latest_experimental',
      OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'EVENT_ONLY',
    })
  ).split(' ');
  expect(traceId).toMatch(/^[0-9a-f]{32}$/);
  return { traceId, spanId };
}

/**
 * Runs test/fixtures/openAiV2MetricsApp.py (two chat completions with a MeterProvider, its
 * points tagged with `jobId`) against `otlpUrl`; resolves with what it prints ('ok').
 * @example expect(await runMetricsApp(openAi.url, otlpUrl, 'job-1')).toBe('ok');
 */
export function runMetricsApp(openAiUrl: string, otlpUrl: string, jobId: string): Promise<string> {
  return runOpenAiV2App({ OPENAI_BASE_URL: openAiUrl, OTLP_URL: otlpUrl, LLMP_JOB_ID: jobId }, metricsApp);
}

/** A stored metric point as /v1/otel-metrics answers it (the fields these suites read). */
export interface GenAiMetricPoint {
  name: string;
  type: string;
  unit: string;
  count: number;
  sum: number;
  bucketCounts: number[];
  explicitBounds: number[];
  attributes: Record<string, string>;
  jobId: string | null;
  serviceName: string;
}
