import { decodeProtobufRequest, type KeyValue, type Span } from '@llmp/otlp';
import { describe, expect, it } from 'vitest';
import { cachedJobNames } from './jobNames.ts';
import type { MlflowApi } from './mlflowClient.ts';
import { mlflowExporterConfig } from './mlflowExporterConfig.ts';
import { sendUploads } from './sendUploads.ts';
import { batch, span, str } from './testBatches.ts';
import { traceUploads } from './traceUploads.ts';

const experiments = mlflowExporterConfig.parse({ trackingUri: 'http://mlflow:5000' }).experiments;
const a = 'a'.repeat(32);
const batchOf = (spans: Span[]) => batch(spans, [], 'p1');
const root = (attributes: KeyValue[]) => span(a, '1'.repeat(16), '', attributes);

/** An MLflow that records the root span tags it was sent and the late tags it was set. */
function recordingMlflow() {
  const rootTags: Array<Record<string, string>> = [];
  const lateTags: string[] = [];
  const api: MlflowApi = {
    experimentId: async () => '1',
    async exportTraces(_id, body) {
      for (const rs of decodeProtobufRequest(body).resourceSpans)
        for (const ss of rs.scopeSpans)
          for (const s of ss.spans.filter((x) => x.parentSpanId === ''))
            rootTags.push(
              Object.fromEntries(
                s.attributes
                  .filter((kv) => kv.key.startsWith('mlflow.traceTag.'))
                  .map((kv) => [
                    kv.key.slice('mlflow.traceTag.'.length),
                    String((kv.value as { value: unknown }).value),
                  ]),
              ),
            );
    },
    async setTraceTag(id, key, value) {
      lateTags.push(`${id} ${key}=${value}`);
    },
    traceExperiment: async () => undefined,
    deleteTraces: async () => {},
  };
  return { api, rootTags, lateTags };
}

describe('job names on MLflow trace tags', () => {
  it('takes the name from the jobs table for a span that carries only the job id', async () => {
    const mlflow = recordingMlflow();
    const asked: string[] = [];
    const names = async (projectId: string, jobId: string) => {
      asked.push(`${projectId}/${jobId}`);
      return 'Summarise tickets';
    };
    const uploads = traceUploads(batchOf([root([str('llmp.job.id', 'job-1')])]), experiments);
    await sendUploads(mlflow.api, uploads, { jobNames: names });
    expect(asked).toEqual(['p1/job-1']);
    expect(mlflow.rootTags).toEqual([
      { 'llmp.project': 'p1', 'llmp.job.id': 'job-1', 'llmp.job.name': 'Summarise tickets' },
    ]);
  });

  it('prefers the jobs table over the span attribute, and falls back to the attribute without a name', async () => {
    const mlflow = recordingMlflow();
    const withName = [str('llmp.job.id', 'job-1'), str('llmp.job.name', 'from span')];
    await sendUploads(mlflow.api, traceUploads(batchOf([root(withName)]), experiments), {
      jobNames: async () => 'from table',
    });
    await sendUploads(mlflow.api, traceUploads(batchOf([root(withName)]), experiments), {
      jobNames: async () => undefined,
    });
    expect(mlflow.rootTags.map((t) => t['llmp.job.name'])).toEqual(['from table', 'from span']);
  });

  it('sets the name as a late tag when the batch holds no root span', async () => {
    const mlflow = recordingMlflow();
    const child = span(a, '2'.repeat(16), '1'.repeat(16), [str('llmp.job.id', 'job-1')]);
    await sendUploads(mlflow.api, traceUploads(batchOf([child]), experiments), {
      jobNames: async () => 'Named',
    });
    expect(mlflow.lateTags).toContain(`tr-${'a'.repeat(32)} llmp.job.name=Named`);
  });
});

describe('cachedJobNames', () => {
  it('asks once per job within the TTL, again after it, and keeps at most `max` jobs', async () => {
    let clock = 0;
    const asked: string[] = [];
    const names = cachedJobNames(
      async (_p, id) => {
        asked.push(id);
        return id === 'none' ? undefined : `name of ${id}`;
      },
      { max: 2, ttlMs: 100, now: () => clock },
    );
    expect(await names('p', 'a')).toBe('name of a');
    expect(await names('p', 'a')).toBe('name of a');
    expect(await names('p', 'none')).toBeUndefined();
    expect(await names('p', 'none')).toBeUndefined();
    expect(asked).toEqual(['a', 'none']);
    await names('p', 'b'); // evicts a
    await names('p', 'a');
    expect(asked).toEqual(['a', 'none', 'b', 'a']);
    clock = 200;
    await names('p', 'a');
    expect(asked).toHaveLength(5);
  });

  it('answers undefined when the lookup fails, and does not remember the failure', async () => {
    let fail = true;
    const names = cachedJobNames(async () => {
      if (fail) throw new Error('ClickHouse down');
      return 'ok';
    });
    expect(await names('p', 'a')).toBeUndefined();
    fail = false;
    expect(await names('p', 'a')).toBe('ok');
  });
});
