import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LlmpProcess, startLlmp } from '../support/llmpProcess.ts';
import {
  type MlflowServer,
  mlflowExporterYaml,
  mlflowWanted,
  requireMlflowServer,
} from '../support/mlflowServer.ts';
import {
  eventually,
  searchTraces as searchMlflow,
  sendJobTrace as sendToLlmp,
  mlflowSpans as spansInMlflow,
} from '../support/mlflowTraces.ts';
import { sendTrace } from '../support/sdkTrace.ts';
import { tempDir } from '../support/tempDir.ts';

const dir = tempDir('mlflow');
let mlflow: MlflowServer;
let llmp: LlmpProcess;

const otlpUrl = () => `http://127.0.0.1:${llmp.httpPort}/v1/traces`;
const searchTraces = (experiment: string, filter: string) => searchMlflow(mlflow, experiment, filter);
const mlflowSpans = (traceId: string) => spansInMlflow(mlflow, traceId);
const sendJobTrace = (job: { id: string; name?: string; version: string }) => sendToLlmp(otlpUrl(), job);

describe.skipIf(!mlflowWanted())('MLflow exporter (real MLflow tracking server)', () => {
  beforeAll(async () => {
    mlflow = await requireMlflowServer(`${dir.path}/mlflow`);
    llmp = await startLlmp({
      dataDir: `${dir.path}/data`,
      extraYaml: mlflowExporterYaml(mlflow.url, [
        '    experiments:',
        '      default: llmp-e2e',
        '      jobs: { job-mapped: llmp-e2e-jobs }',
      ]),
    });
  }, 240_000);

  afterAll(async () => {
    expect(await llmp?.stop()).toBe(0);
    await mlflow?.stop();
    dir.remove();
  }, 60_000);

  it('uploads traces with their spans and job tags', async () => {
    const sent = await sendTrace(
      new ProtoExporter({ url: `http://127.0.0.1:${llmp.httpPort}/v1/traces` }),
      'svc-mlflow',
    );
    const sentSpans = sent.spans.filter((s) => s.spanContext().traceId === sent.traceId);
    const [info] = await eventually(async () => {
      const found = await searchTraces('llmp-e2e', "tag.`llmp.job.id` = 'job-e2e'");
      return found.length > 0 ? found : undefined;
    });
    expect(info!.trace_id).toBe(`tr-${sent.traceId}`);
    expect(info!.tags).toMatchObject({
      'llmp.job.id': 'job-e2e',
      'llmp.job.version': '2',
      'llmp.project': 'default',
    });
    const spans = await mlflowSpans(sent.traceId);
    expect(spans?.map((s) => s.name).sort()).toEqual(sentSpans.map((s) => s.name).sort());
    const sync = await llmp.api(`/v1/traces/${sent.traceId}/sync`);
    expect(await sync.json()).toMatchObject({ state: 'uploaded', operation: 'upload' });
  });

  it('puts a job on the experiment it is mapped to, tagged with id, name and version', async () => {
    const traceId = await sendJobTrace({ id: 'job-mapped', name: 'Summarise tickets', version: '7' });
    const [info] = await eventually(async () => {
      const found = await searchTraces('llmp-e2e-jobs', "tag.`llmp.job.name` = 'Summarise tickets'");
      return found.length > 0 ? found : undefined;
    });
    expect(info!.trace_id).toBe(`tr-${traceId}`);
    expect(info!.tags).toMatchObject({ 'llmp.job.id': 'job-mapped', 'llmp.job.version': '7' });
    expect((await mlflowSpans(traceId))?.length).toBe(2);
  });

  it('deletes a trace from the store and from MLflow', async () => {
    const traceId = await sendJobTrace({ id: 'job-delete', version: '1' });
    await eventually(async () => ((await mlflowSpans(traceId)) ? true : undefined));
    expect((await llmp.api(`/v1/traces/${traceId}`)).status).toBe(200);

    const deleted = await fetch(`http://127.0.0.1:${llmp.apiPort}/v1/traces/${traceId}`, {
      method: 'DELETE',
    });
    expect(deleted.status).toBe(202);
    expect((await llmp.api(`/v1/traces/${traceId}`)).status).toBe(404);
    const state = await eventually(async () => {
      const body = (await (await llmp.api(`/v1/traces/${traceId}/sync`)).json()) as { state: string };
      return body.state === 'deleted' ? body : undefined;
    });
    expect(state).toMatchObject({ operation: 'delete', state: 'deleted' });
    expect(await mlflowSpans(traceId)).toBeUndefined();
    expect(await searchTraces('llmp-e2e', "tag.`llmp.job.id` = 'job-delete'")).toEqual([]);
    // Deleting it again: nothing knows it any more... except the sync state, which says deleted.
    const unknown = await fetch(`http://127.0.0.1:${llmp.apiPort}/v1/traces/${'0'.repeat(31)}1`, {
      method: 'DELETE',
    });
    expect(unknown.status).toBe(404);
  });

  it('keeps ingesting while MLflow is down and uploads everything, once, when it returns', async () => {
    await mlflow.stop();
    const traceIds: string[] = [];
    for (let i = 0; i < 5; i++) {
      const traceId = await sendJobTrace({ id: 'job-outage', version: String(i) });
      traceIds.push(traceId);
      // Stored and readable at once: MLflow being down holds nothing up.
      const stored = await llmp.api(`/v1/traces/${traceId}`);
      expect(stored.status).toBe(200);
      expect(((await stored.json()) as { spans: unknown[] }).spans).toHaveLength(2);
    }
    const pending = (await (await llmp.api(`/v1/traces/${traceIds[0]}/sync`)).json()) as { state: string };
    expect(pending.state).toBe('pending');
    await new Promise((r) => setTimeout(r, 3000));

    await mlflow.start();
    const found = await eventually(async () => {
      const traces = await searchTraces('llmp-e2e', "tag.`llmp.job.id` = 'job-outage'");
      return traces.length >= 5 ? traces : undefined;
    }, 90_000);
    expect(found.map((t) => t.trace_id).sort()).toEqual(traceIds.map((id) => `tr-${id}`).sort());
    for (const traceId of traceIds) {
      expect((await mlflowSpans(traceId))?.length).toBe(2);
      const sync = (await (await llmp.api(`/v1/traces/${traceId}/sync`)).json()) as { state: string };
      expect(sync.state).toBe('uploaded');
    }
  });
});
