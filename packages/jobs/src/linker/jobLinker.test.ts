import { type KeyValue, type Span, type TraceBatch, type TraceRequest, traceBatch } from '@llmp/otlp';
import { stringAttr, testRequest, testSpan } from '@llmp/otlp/testing';
import { retryable } from '@llmp/pipeline';
import { nopSettings, sinkConsumer } from '@llmp/pipeline/testing';
import { describe, expect, it } from 'vitest';
import type { SpanJobRef } from '../repository/storeResult.ts';
import type { JobStatus } from '../service/jobSchema.ts';
import { type JobDirectory, jobLinkerConfig, jobLinkerFactory } from './jobLinker.ts';

const settings = nopSettings('jobs');
const str = stringAttr;

const span = (spanId: string, attributes: KeyValue[] = []): Span =>
  testSpan({ traceId: 'a'.repeat(32), spanId, name: 's', attributes });

const request = (spans: Span[], resource: KeyValue[] = [], scope: KeyValue[] = []): TraceRequest =>
  testRequest(spans, { resource, scope });

/** A directory that knows some jobs and records what it was asked. */
function directory(statuses: Record<string, JobStatus>) {
  const asked: SpanJobRef[][] = [];
  const dir: JobDirectory & { asked: SpanJobRef[][] } = {
    asked,
    async discover(_projectId, refs) {
      asked.push(refs);
      return new Map(refs.map((r) => [r.id, statuses[r.id] ?? 'active']));
    },
  };
  return dir;
}

function linker(dir: JobDirectory, config: unknown = {}) {
  const sink = sinkConsumer<TraceBatch>();
  const processor = jobLinkerFactory(dir).create(settings, jobLinkerConfig.parse(config), sink);
  return { processor, seen: sink.received };
}

const attrs = (batch: TraceBatch, i: number) =>
  Object.fromEntries(
    batch
      .request()
      .resourceSpans[0]!.scopeSpans[0]!.spans[i]!.attributes.map((kv) => [
        kv.key,
        (kv.value as { value: unknown }).value,
      ]),
  );

describe('jobLinkerFactory', () => {
  it('passes spans without a job through untouched and asks nothing', async () => {
    const dir = directory({});
    const { processor, seen } = linker(dir);
    const batch = traceBatch({ projectId: 'p', request: request([span('1', [str('a', 'b')])]) });
    await processor.consume(batch);
    expect(seen).toEqual([batch]);
    expect(attrs(seen[0]!, 0)).toEqual({ a: 'b' });
    expect(dir.asked).toEqual([]);
  });

  it('reads aliases on span, scope or resource and stores them under llmp.job.*', async () => {
    const dir = directory({});
    const { processor, seen } = linker(dir, {
      aliases: { id: ['app.job'], version: ['app.job_version'], type: ['app.job_type'] },
    });
    const batch = traceBatch({
      projectId: 'p',
      request: request(
        [span('1', [str('app.job', 'from-span')]), span('2'), span('3', [str('llmp.job.id', 'canonical')])],
        [str('app.job', 'from-resource'), str('app.job_version', '7')],
        [str('app.job_type', 'llm_task')],
      ),
    });
    await processor.consume(batch);
    expect(attrs(seen[0]!, 0)).toMatchObject({
      'llmp.job.id': 'from-span',
      'llmp.job.version': '7',
      'llmp.job.type': 'llm_task',
    });
    expect(attrs(seen[0]!, 1)).toMatchObject({ 'llmp.job.id': 'from-resource', 'llmp.job.version': '7' });
    // The canonical key on the span wins over an alias further out; nothing is duplicated.
    const third = seen[0]!.request().resourceSpans[0]!.scopeSpans[0]!.spans[2]!.attributes;
    expect(third.filter((kv) => kv.key === 'llmp.job.id')).toHaveLength(1);
    expect(dir.asked).toEqual([
      [
        { id: 'from-span', type: 'llm_task' },
        { id: 'from-resource', type: 'llm_task' },
        { id: 'canonical', type: 'llm_task' },
      ],
    ]);
  });

  it('flags spans of jobs that are not active, and remembers statuses for the ttl', async () => {
    const dir = directory({ sleepy: 'paused', done: 'completed' });
    const { processor, seen } = linker(dir, { statusCacheTtl: '1m' });
    const make = () =>
      traceBatch({
        projectId: 'p',
        request: request([
          span('1', [str('llmp.job.id', 'sleepy')]),
          span('2', [str('llmp.job.id', 'done')]),
          span('3', [str('llmp.job.id', 'busy')]),
        ]),
      });
    await processor.consume(make());
    await processor.consume(make());
    for (const batch of seen) {
      expect(attrs(batch, 0)['llmp.job.status']).toBe('paused');
      expect(attrs(batch, 1)['llmp.job.status']).toBe('completed');
      expect(attrs(batch, 2)).not.toHaveProperty('llmp.job.status');
    }
    expect(dir.asked).toHaveLength(1);
  });

  it('checks outputs against the output_model of the version the span names, asking once per version', async () => {
    const asked: Array<number | undefined> = [];
    const dir: JobDirectory = {
      discover: async (_p, refs) => new Map(refs.map((r) => [r.id, 'active'])),
      models: async (_p, _id, version) => {
        asked.push(version);
        return version === 1
          ? {
              input_model: { type: 'object', required: ['ticket'] },
              output_model: { type: 'object', required: ['a'] },
            }
          : { input_model: null, output_model: null };
      },
    };
    const { processor, seen } = linker(dir);
    const job = (version: string, output: string) => [
      str('llmp.job.id', 'j'),
      str('llmp.job.version', version),
      str('output.value', output),
    ];
    await processor.consume(
      traceBatch({
        projectId: 'p',
        request: request([
          span('1', job('1', '{"a":1}')),
          span('2', [...job('1', '{"b":1}'), str('llmp.job.input', '{"ticket":"t-1"}')]),
          span('3', job('2', '{"b":1}')),
          span('4', [str('llmp.job.id', 'j')]),
        ]),
      }),
    );
    expect(attrs(seen[0]!, 0)['llmp.validation.output']).toBe('pass');
    expect(attrs(seen[0]!, 1)).toMatchObject({
      'llmp.validation.output': 'fail',
      'llmp.validation.output_error': "/ must have required property 'a'",
      'llmp.validation.input': 'pass',
    });
    expect(attrs(seen[0]!, 0)).not.toHaveProperty('llmp.validation.input');
    // Version 2 has no output_model, span 4 no output: nothing to check.
    expect(attrs(seen[0]!, 2)).not.toHaveProperty('llmp.validation.output');
    expect(attrs(seen[0]!, 3)).not.toHaveProperty('llmp.validation.output');
    expect(asked).toEqual([1, 2]);
  });

  it("runs the version's validation_script on each output, with the schema, into one verdict", async () => {
    const script = `function validate(output, input) {
      if (typeof output !== 'object') return { valid: false, message: 'not JSON: ' + output.slice(0, 10) };
      return { valid: output.a > 0, message: output.a > 0 ? 'ok for ' + (input && input.ticket) : 'a must be positive' };
    }`;
    const dir: JobDirectory = {
      discover: async (_p, refs) => new Map(refs.map((r) => [r.id, 'active'])),
      models: async (_p, _id, version) => ({
        input_model: null,
        output_model: version === 2 ? { type: 'object', required: ['b'] } : null,
        validation_script: version === 3 ? '() => { for (;;) {} }' : script,
      }),
    };
    const { processor, seen } = linker(dir, { validationScript: { timeout: '20ms' } });
    const job = (version: string, output: string) => [
      str('llmp.job.id', 'j'),
      str('llmp.job.version', version),
      str('output.value', output),
    ];
    await processor.consume(
      traceBatch({
        projectId: 'p',
        request: request([
          span('1', [...job('1', '{"a":1}'), str('llmp.job.input', '{"ticket":"t-1"}')]),
          span('2', job('1', '{"a":0}')),
          span('3', job('1', 'Sure thing')),
          span('4', job('2', '{"a":1}')),
          span('5', job('3', '{"a":1}')),
        ]),
      }),
    );
    const verdicts = [0, 1, 2, 3, 4].map((i) => {
      const a = attrs(seen[0]!, i);
      return [
        a['llmp.validation.output'],
        a['llmp.validation.output_error'],
        a['llmp.validation.script'],
        a['llmp.validation.script_message'],
      ];
    });
    expect(verdicts).toEqual([
      ['pass', undefined, 'pass', 'ok for t-1'],
      ['fail', 'a must be positive', 'fail', 'a must be positive'],
      ['fail', 'not JSON: Sure thing', 'fail', 'not JSON: Sure thing'],
      // The schema's error comes first; the script still runs and says its part.
      ['fail', "/ must have required property 'b'", 'pass', 'ok for null'],
      ['fail', 'validation_script ran past 20 ms', 'error', 'validation_script ran past 20 ms'],
    ]);
    await processor.shutdown();
  });

  it('refuses the batch with a retryable error when the directory is down', async () => {
    const { processor, seen } = linker({
      discover: () => Promise.reject(retryable('ClickHouse unavailable')),
    });
    await expect(
      processor.consume(
        traceBatch({ projectId: 'p', request: request([span('1', [str('llmp.job.id', 'x')])]) }),
      ),
    ).rejects.toMatchObject({ kind: 'retryable' });
    expect(seen).toEqual([]);
  });

  it('keeps passing batches on after shutdown, while receivers drain', async () => {
    const { processor, seen } = linker(directory({}));
    await processor.shutdown();
    await processor.consume(traceBatch({ projectId: 'p', request: request([span('1')]) }));
    expect(seen).toHaveLength(1);
  });
});
