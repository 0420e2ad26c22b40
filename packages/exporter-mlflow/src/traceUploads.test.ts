import { describe, expect, it } from 'vitest';
import { mlflowExporterConfig } from './mlflowExporterConfig.ts';
import { batch, span, str } from './testBatches.ts';
import { traceUploads } from './traceUploads.ts';

const a = 'a'.repeat(32);
const b = 'b'.repeat(32);
const experiments = mlflowExporterConfig.parse({
  trackingUri: 'http://mlflow:5000',
  experiments: { default: 'all', projects: { acme: 'acme-traces' }, jobs: { 'job-x': 'job-x-traces' } },
}).experiments;

const rootAttributes = (upload: ReturnType<typeof traceUploads>[number]) => {
  const root = upload.request.resourceSpans[0]!.scopeSpans[0]!.spans.find((s) => s.parentSpanId === '')!;
  return Object.fromEntries(root.attributes.map((kv) => [kv.key, (kv.value as { value: unknown }).value]));
};

describe('traceUploads', () => {
  it('splits a batch by trace and puts the job link on the root span as MLflow trace tags', () => {
    const uploads = traceUploads(
      batch([
        span(a, '1'.repeat(16), ''),
        span(a, '2'.repeat(16), '1'.repeat(16), [
          str('llmp.job.id', 'job-1'),
          { key: 'llmp.job.version', value: { type: 'int', value: 4n } },
        ]),
        span(b, '3'.repeat(16), ''),
      ]),
      experiments,
    );
    expect(uploads.map((u) => [u.traceId, u.spanCount, u.experiment])).toEqual([
      [a, 2, 'all'],
      [b, 1, 'all'],
    ]);
    expect(rootAttributes(uploads[0]!)).toEqual({
      'mlflow.traceTag.llmp.project': 'default',
      'mlflow.traceTag.llmp.job.id': 'job-1',
      'mlflow.traceTag.llmp.job.version': '4',
    });
    expect(uploads[0]!.lateTags).toEqual({});
    expect(rootAttributes(uploads[1]!)).toEqual({ 'mlflow.traceTag.llmp.project': 'default' });
  });

  it('reads the job from the resource too, and maps a job before its project to an experiment', () => {
    const [upload] = traceUploads(
      batch([span(a, '1'.repeat(16), '')], [str('llmp.job.id', 'job-x'), str('llmp.job.name', 'X')], 'acme'),
      experiments,
    );
    expect(upload!.experiment).toBe('job-x-traces');
    expect(rootAttributes(upload!)).toMatchObject({ 'mlflow.traceTag.llmp.job.name': 'X' });
    const [other] = traceUploads(batch([span(a, '1'.repeat(16), '')], [], 'acme'), experiments);
    expect(other!.experiment).toBe('acme-traces');
  });

  it('leaves tags for the REST API when the batch has no root span of a job-linked trace', () => {
    const [upload] = traceUploads(
      batch([span(a, '2'.repeat(16), '1'.repeat(16), [str('llmp.job.id', 'job-1')])]),
      experiments,
    );
    expect(upload!.lateTags).toEqual({ 'llmp.project': 'default', 'llmp.job.id': 'job-1' });
    const [unlinked] = traceUploads(batch([span(a, '2'.repeat(16), '1'.repeat(16))]), experiments);
    expect(unlinked!.lateTags).toEqual({});
  });

  it('leaves the batch it reads untouched', () => {
    const input = batch([span(a, '1'.repeat(16), '', [str('llmp.job.id', 'j')])]);
    traceUploads(input, experiments);
    expect(input.request().resourceSpans[0]!.scopeSpans[0]!.spans[0]!.attributes).toHaveLength(1);
  });
});
