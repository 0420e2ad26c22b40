import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LlmpProcess, repoRoot, startLlmp } from '../support/llmpProcess.ts';
import { runPythonApp, venvPython } from '../support/pythonApp.ts';
import { sendSpans } from '../support/sdkSpans.ts';
import { tempDir } from '../support/tempDir.ts';

// A Python app instrumented by OpenInference (openinference-instrumentation-openai, the OpenAI
// client against a fake OpenAI server) next to an OpenLLMetry-shaped span and an OpenTelemetry
// execute_tool span sent with the JS SDK: the same model is found and grouped the same way, and
// tool calls show in the texts. The venv comes from .ci/run (.tools/openinference).
const python = venvPython('LLMP_OPENINFERENCE_PYTHON', 'openinference');
const app = join(repoRoot, 'test/fixtures/openInferenceWeatherApp.py');

interface ChatRequest {
  model: string;
  messages: Array<{ role: string; content: string | null }>;
}

/** Answers chat completions as OpenAI does: a tool call first, the final text once a tool result came back. */
function fakeOpenAi(): Promise<{ server: Server; url: string; requests: ChatRequest[] }> {
  const requests: ChatRequest[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      const request = JSON.parse(body) as ChatRequest;
      requests.push(request);
      const toolDone = request.messages.at(-1)?.role === 'tool';
      const message = toolDone
        ? { role: 'assistant', content: `It is ${request.messages.at(-1)!.content}.` }
        : {
            role: 'assistant',
            content: null,
            tool_calls: [
              {
                id: 'call_1',
                type: 'function',
                function: { name: 'get_weather', arguments: '{"city": "Paris"}' },
              },
            ],
          };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: `chatcmpl-${requests.length}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: 'gpt-4o-mini-2024-07-18',
          choices: [{ index: 0, message, finish_reason: toolDone ? 'stop' : 'tool_calls' }],
          usage: {
            prompt_tokens: 40 + requests.length,
            completion_tokens: 10,
            total_tokens: 50 + requests.length,
          },
        }),
      );
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({ server, url: `http://127.0.0.1:${port}/v1`, requests });
    }),
  );
}

function runApp(env: Record<string, string>): Promise<string> {
  return runPythonApp({ python: python!, app, env, name: 'the OpenInference app' });
}

interface TraceSpan {
  name: string;
  spanType: string;
  genAi: {
    requestModel: string | null;
    responseModel: string | null;
    inputText: string | null;
    outputText: string | null;
  };
}

describe.skipIf(!python && process.env.CI !== 'true')('OpenInference GenAI fields (Python app)', () => {
  const dir = tempDir('openinference');
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

  it('reads the request model from llm.invocation_parameters, shows tool calls, and groups with OpenLLMetry', async () => {
    expect(python, 'run .ci/run or make the .tools/openinference venv').toBeDefined();
    const traceId = await runApp({
      OPENAI_BASE_URL: openAi.url,
      OTLP_TRACES_URL: `http://127.0.0.1:${llmp.httpPort}/v1/traces`,
    });
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(openAi.requests).toHaveLength(2);

    let openLlmetryTrace = '';
    let toolTrace = '';
    await sendSpans(
      llmp.httpPort,
      (tracer) => {
        const chat = tracer.startSpan('openai.chat', {
          attributes: {
            'llm.request.type': 'chat',
            'gen_ai.system': 'openai',
            'gen_ai.request.model': 'gpt-4o-mini',
            'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
            'gen_ai.usage.prompt_tokens': 30,
            'gen_ai.usage.completion_tokens': 5,
            'gen_ai.prompt.0.role': 'user',
            'gen_ai.prompt.0.content': 'Weather in Rome?',
            'gen_ai.completion.0.role': 'assistant',
            'gen_ai.completion.0.tool_calls.0.name': 'get_weather',
            'gen_ai.completion.0.tool_calls.0.arguments': '{"city":"Rome"}',
          },
        });
        openLlmetryTrace = chat.spanContext().traceId;
        chat.end();
        const tool = tracer.startSpan('execute_tool get_weather', {
          attributes: {
            'gen_ai.operation.name': 'execute_tool',
            'gen_ai.tool.name': 'get_weather',
            'gen_ai.tool.call.id': 'call_9',
            'gen_ai.tool.call.arguments': '{"city":"Rome"}',
            'gen_ai.tool.call.result': 'rain, 14C',
          },
        });
        toolTrace = tool.spanContext().traceId;
        tool.end();
      },
      undefined,
      'js-weather-agent',
    );

    const trace = (await (await llmp.api(`/v1/traces/${traceId}`)).json()) as { spans: TraceSpan[] };
    const llm = trace.spans
      .filter((s) => s.spanType === 'llm')
      .sort((a, b) => (a.genAi.inputText ?? '').length - (b.genAi.inputText ?? '').length);
    expect(llm).toHaveLength(2);
    for (const span of llm)
      expect(span.genAi).toMatchObject({
        requestModel: 'gpt-4o-mini',
        responseModel: 'gpt-4o-mini-2024-07-18',
      });
    // The first answer is a tool call only: its output, and the next call's input, show it.
    expect(llm[0]!.genAi).toMatchObject({
      inputText: 'user: Weather in Paris?',
      outputText: 'assistant: [tool_call get_weather {"city": "Paris"}]',
    });
    expect(llm[1]!.genAi).toMatchObject({
      inputText:
        'user: Weather in Paris?\nassistant: [tool_call get_weather {"city": "Paris"}]\ntool: sunny, 24C in Paris',
      outputText: 'assistant: It is sunny, 24C in Paris.',
    });

    const tool = (await (await llmp.api(`/v1/traces/${toolTrace}`)).json()) as { spans: TraceSpan[] };
    expect(tool.spans[0]).toMatchObject({
      spanType: 'tool',
      genAi: { inputText: '{"city":"Rome"}', outputText: 'rain, 14C' },
    });
    const openLlmetry = (await (await llmp.api(`/v1/traces/${openLlmetryTrace}`)).json()) as {
      spans: TraceSpan[];
    };
    expect(openLlmetry.spans[0]!.genAi.outputText).toBe('assistant: [tool_call get_weather {"city":"Rome"}]');

    // model=gpt-4o-mini finds the Python app's trace (and the OpenLLMetry one).
    const found = (await (await llmp.api('/v1/traces?model=gpt-4o-mini')).json()) as {
      traces: Array<{ traceId: string }>;
    };
    expect(found.traces.map((t) => t.traceId).sort()).toEqual([traceId, openLlmetryTrace].sort());
    const spans = (await (await llmp.api('/v1/spans?model=gpt-4o-mini')).json()) as {
      spans: unknown[];
    };
    expect(spans.spans).toHaveLength(3);

    // groupBy=model files both conventions' calls under the model asked for.
    const metrics = (await (await llmp.api('/v1/metrics?groupBy=model,service')).json()) as {
      rows: Array<{ group: { model: string; service: string }; count: number; inputTokens: number }>;
    };
    const models = metrics.rows.filter((r) => r.group.model !== '');
    expect(models.map((r) => [r.group.model, r.group.service, r.count, r.inputTokens]).sort()).toEqual([
      ['gpt-4o-mini', 'js-weather-agent', 1, 30],
      ['gpt-4o-mini', 'py-weather-agent', 2, 41 + 42],
    ]);
  });
});
