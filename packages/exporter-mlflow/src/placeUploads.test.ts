import { decodeProtobufRequest } from '@llmp/otlp';
import { describe, expect, it } from 'vitest';
import type { MlflowApi } from './mlflowClient.ts';
import { mlflowExporterConfig } from './mlflowExporterConfig.ts';
import { sendUploads } from './sendUploads.ts';
import { batch, span, str } from './testBatches.ts';
import { traceUploads } from './traceUploads.ts';

const { experiments } = mlflowExporterConfig.parse({
  trackingUri: 'http://mlflow:5000',
  experiments: { default: 'llmp', jobs: { 'job-1': 'jobs' } },
});
const traceId = 'a'.repeat(32);
const root = (attributes = [str('llmp.job.id', 'job-1')]) => span(traceId, '1'.repeat(16), '', attributes);
const child = span(traceId, '2'.repeat(16), '1'.repeat(16));

/** An MLflow that records where each request went and which traces it deleted where. */
function recordingMlflow() {
  const ids: Record<string, string> = { llmp: '1', jobs: '2' };
  const exported: Array<{ experimentId: string; spanIds: string[] }> = [];
  const deleted: string[] = [];
  const api: MlflowApi = {
    experimentId: async (name) => ids[name]!,
    async exportTraces(experimentId, body) {
      const request = decodeProtobufRequest(body);
      const spanIds = request.resourceSpans.flatMap((rs) =>
        rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => s.spanId)),
      );
      exported.push({ experimentId, spanIds: spanIds.sort() });
    },
    setTraceTag: async () => undefined,
    traceExperiment: async () => undefined,
    deleteTraces: async (experimentId, traceIds) => {
      deleted.push(`${experimentId}:${traceIds.join(',')}`);
    },
  };
  return { api, exported, deleted };
}

describe('sendUploads with places (the trace’s job decides its experiment)', () => {
  it('moves a trace whose root names a mapped job after its children went to the default experiment', async () => {
    const mlflow = recordingMlflow();
    const [upload] = traceUploads(batch([root()]), experiments);
    await sendUploads(mlflow.api, [upload!], {
      places: {
        experimentOf: async () => '1',
        storedTrace: async () => batch([child, root()]).request(),
      },
    });
    expect(mlflow.deleted).toEqual([`1:tr-${traceId}`]);
    expect(mlflow.exported).toEqual([{ experimentId: '2', spanIds: ['1'.repeat(16), '2'.repeat(16)] }]);
    expect(upload!.experimentId).toBe('2');
  });

  it('sends spans naming no job to the experiment their trace is in already', async () => {
    const mlflow = recordingMlflow();
    const [upload] = traceUploads(batch([child]), experiments);
    await sendUploads(mlflow.api, [upload!], { places: { experimentOf: async () => '2' } });
    expect(mlflow.exported).toEqual([{ experimentId: '2', spanIds: ['2'.repeat(16)] }]);
    expect(mlflow.deleted).toEqual([]);
  });

  it('deletes nothing without a store to send the trace whole from', async () => {
    const mlflow = recordingMlflow();
    const [upload] = traceUploads(batch([root()]), experiments);
    await sendUploads(mlflow.api, [upload!], { places: { experimentOf: async () => '1' } });
    expect(mlflow.deleted).toEqual([]);
    expect(mlflow.exported).toEqual([{ experimentId: '2', spanIds: ['1'.repeat(16)] }]);
  });
});
