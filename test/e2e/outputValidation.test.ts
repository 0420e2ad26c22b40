import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LlmpProcess, startLlmp } from '../support/llmpProcess.ts';
import { sendSpans } from '../support/sdkSpans.ts';
import { tempDir } from '../support/tempDir.ts';

const dir = tempDir('output-validation');
let llmp: LlmpProcess;
beforeAll(async () => {
  llmp = await startLlmp({ dataDir: `${dir.path}/data` });
});
afterAll(async () => {
  await llmp?.stop('SIGKILL');
  dir.remove();
});

const send = (path: string, method: string, body: unknown) =>
  fetch(`http://127.0.0.1:${llmp.apiPort}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('output validation against the job version output_model', () => {
  it('stores the result on each span and counts it in the job metrics, per version', async () => {
    expect(
      (
        await send('/v1/jobs', 'POST', {
          id: 'triage',
          name: 'triage',
          output_model: {
            type: 'object',
            required: ['summary'],
            properties: { summary: { type: 'string' } },
          },
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await send('/v1/jobs/triage', 'PATCH', {
          output_model: {
            type: 'object',
            required: ['summary', 'priority'],
            properties: { summary: { type: 'string' }, priority: { enum: ['low', 'high'] } },
          },
        })
      ).status,
    ).toBe(200);

    // One trace per span; the version on the span picks the output_model (none: the latest).
    const sent: Record<string, string> = {};
    await sendSpans(llmp.httpPort, (tracer) => {
      const cases: Array<[string, Record<string, string>]> = [
        ['v1 pass', { 'llmp.job.version': '1', 'output.value': '{"summary":"disk full"}' }],
        [
          'v1 not json',
          { 'llmp.job.version': '1', 'gen_ai.completion.0.content': 'Sure! The disk is full.' },
        ],
        ['v2 missing priority', { 'llmp.job.version': '2', 'ai.response.text': '{"summary":"disk full"}' }],
        [
          'latest pass',
          {
            'gen_ai.output.messages': JSON.stringify([
              {
                role: 'assistant',
                parts: [{ type: 'text', content: '{"summary":"disk full","priority":"high"}' }],
              },
            ]),
          },
        ],
        ['no output', { 'llmp.job.version': '2' }],
      ];
      for (const [name, attributes] of cases) {
        const span = tracer.startSpan(name, { attributes: { 'llmp.job.id': 'triage', ...attributes } });
        sent[name] = span.spanContext().traceId;
        span.end();
      }
    });

    const attributesOf = async (name: string) => {
      const body = (await (await llmp.api(`/v1/traces/${sent[name]}`)).json()) as {
        spans: Array<{ attributes: Record<string, unknown> }>;
      };
      return body.spans[0]!.attributes;
    };
    expect(await attributesOf('v1 pass')).toMatchObject({ 'llmp.validation.output': 'pass' });
    expect(await attributesOf('v1 not json')).toMatchObject({
      'llmp.validation.output': 'fail',
      'llmp.validation.output_error': 'output is not JSON',
    });
    expect(await attributesOf('v2 missing priority')).toMatchObject({
      'llmp.validation.output': 'fail',
      'llmp.validation.output_error': "/ must have required property 'priority'",
    });
    expect(await attributesOf('latest pass')).toMatchObject({ 'llmp.validation.output': 'pass' });
    expect(await attributesOf('no output')).not.toHaveProperty('llmp.validation.output');

    const metrics = (await (await llmp.api('/v1/jobs/triage/metrics?by=version')).json()) as {
      runs: number;
      validation: unknown;
      versions: Array<{ version: string; validation: unknown }>;
    };
    expect(metrics.runs).toBe(5);
    expect(metrics.validation).toEqual({ checked: 4, passed: 2, pass_rate: 0.5 });
    expect(Object.fromEntries(metrics.versions.map((v) => [v.version, v.validation]))).toEqual({
      '': { checked: 1, passed: 1, pass_rate: 1 },
      '1': { checked: 2, passed: 1, pass_rate: 0.5 },
      '2': { checked: 1, passed: 0, pass_rate: 0 },
    });
  });

  it("runs the job's validation_script on each output: its verdicts are on the spans and in the pass rate", async () => {
    const created = await send('/v1/jobs', 'POST', {
      id: 'scored',
      name: 'scored',
      // No output_model: the script alone decides.
      validation_script: `function validate(output, input) {
        if (typeof output !== 'object' || output === null) return { valid: false, message: 'not JSON' };
        if (output.score < 0 || output.score > 10) return { valid: false, message: 'score ' + output.score + ' out of 0-10' };
        return { valid: true, message: 'for ' + (input ? input.ticket : 'no ticket') };
      }`,
    });
    expect(created.status).toBe(201);

    const sent: Record<string, string> = {};
    await sendSpans(llmp.httpPort, (tracer) => {
      const cases: Array<[string, Record<string, string>]> = [
        ['in range', { 'output.value': '{"score":7}', 'llmp.job.input': '{"ticket":"T-9"}' }],
        ['too high', { 'gen_ai.completion.0.content': '{"score":11}' }],
        ['prose', { 'ai.response.text': 'I would say seven.' }],
        ['zero', { 'output.value': '{"score":0}' }],
      ];
      for (const [name, attributes] of cases) {
        const span = tracer.startSpan(name, { attributes: { 'llmp.job.id': 'scored', ...attributes } });
        sent[name] = span.spanContext().traceId;
        span.end();
      }
    });

    const attributesOf = async (name: string) => {
      const body = (await (await llmp.api(`/v1/traces/${sent[name]}`)).json()) as {
        spans: Array<{ attributes: Record<string, unknown> }>;
      };
      return body.spans[0]!.attributes;
    };
    expect(await attributesOf('in range')).toMatchObject({
      'llmp.validation.output': 'pass',
      'llmp.validation.script': 'pass',
      'llmp.validation.script_message': 'for T-9',
    });
    expect(await attributesOf('too high')).toMatchObject({
      'llmp.validation.output': 'fail',
      'llmp.validation.output_error': 'score 11 out of 0-10',
      'llmp.validation.script': 'fail',
    });
    expect(await attributesOf('prose')).toMatchObject({
      'llmp.validation.output': 'fail',
      'llmp.validation.output_error': 'not JSON',
    });
    expect(await attributesOf('zero')).toMatchObject({
      'llmp.validation.output': 'pass',
      'llmp.validation.script_message': 'for no ticket',
    });

    const metrics = (await (await llmp.api('/v1/jobs/scored/metrics')).json()) as { validation: unknown };
    expect(metrics.validation).toEqual({ checked: 4, passed: 2, pass_rate: 0.5 });
    const counted = await (await fetch(`http://127.0.0.1:${llmp.apiPort}/metrics`)).text();
    expect(counted).toMatch(/llmp_jobs_validation_script_runs_total\{outcome="pass"\} 2/);
    expect(counted).toMatch(/llmp_jobs_validation_script_runs_total\{outcome="fail"\} 2/);
  });
});
