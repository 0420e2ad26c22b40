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
  expectUploadedOnce,
  mlflowSpans,
  searchTraces,
  sendJobTrace,
  syncState,
} from '../support/mlflowTraces.ts';
import { tempDir } from '../support/tempDir.ts';

const dir = tempDir('mlflow-restart');
const experiment = 'llmp-restart';
let mlflow: MlflowServer;
let llmp: LlmpProcess;

const start = async () =>
  startLlmp({
    dataDir: `${dir.path}/data`,
    extraYaml: mlflowExporterYaml(mlflow.url, [
      `    experiments: { default: ${experiment} }`,
      '    drainTimeout: 1s',
    ]),
  });

/** Stops llmp with SIGTERM and starts it again on the same data dir, MLflow running again meanwhile. */
async function restartWithMlflowBack(): Promise<void> {
  expect(await llmp.stop('SIGTERM')).toBe(0);
  await mlflow.start();
  llmp = await start();
}

const send = (job: { id: string; name?: string; version: string }) =>
  sendJobTrace(`http://127.0.0.1:${llmp.httpPort}/v1/traces`, job);
const syncOf = (traceId: string) => syncState(llmp, traceId);

describe.skipIf(!mlflowWanted())('MLflow sync across restarts (all-in-one, real MLflow)', () => {
  beforeAll(async () => {
    mlflow = await requireMlflowServer(`${dir.path}/mlflow`);
    llmp = await start();
  }, 240_000);

  afterAll(async () => {
    expect(await llmp?.stop()).toBe(0);
    await mlflow?.stop();
    dir.remove();
  }, 60_000);

  it('tags a trace with the job name from the jobs table when the span carries only the job id', async () => {
    const created = await fetch(`http://127.0.0.1:${llmp.apiPort}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'job-named', name: 'Nightly digest' }),
    });
    expect(created.status).toBe(201);
    const traceId = await send({ id: 'job-named', version: '1' });
    const [info] = await eventually(async () => {
      const found = await searchTraces(mlflow, experiment, "tag.`llmp.job.id` = 'job-named'");
      return found.length > 0 ? found : undefined;
    });
    expect(info!.trace_id).toBe(`tr-${traceId}`);
    expect(info!.tags).toMatchObject({ 'llmp.job.name': 'Nightly digest', 'llmp.job.version': '1' });
  });

  it('uploads every trace accepted while MLflow was down once, after a restart', async () => {
    await mlflow.stop();
    const traceIds: string[] = [];
    for (let i = 0; i < 4; i++) {
      const traceId = await send({ id: 'job-restart', version: String(i) });
      traceIds.push(traceId);
      expect((await llmp.api(`/v1/traces/${traceId}`)).status).toBe(200);
    }
    expect(await syncOf(traceIds[0]!)).toMatchObject({ state: 'pending', operation: 'upload' });

    await restartWithMlflowBack();
    await expectUploadedOnce(mlflow, llmp, experiment, 'job-restart', traceIds);
    // The resumed uploads came from the store; the log says how many.
    expect(
      llmp.logs.some((l) => l.msg === 'resumed MLflow work left pending by the last run' && l.resumed === 4),
    ).toBe(true);
  });

  it('deletes from MLflow, after a restart, a trace deleted while MLflow was down', async () => {
    const traceId = await send({ id: 'job-delete-restart', version: '1' });
    await eventually(async () => ((await mlflowSpans(mlflow, traceId)) ? true : undefined));
    await eventually(async () => ((await syncOf(traceId)).state === 'uploaded' ? true : undefined));
    await mlflow.stop();

    const deleted = await fetch(`http://127.0.0.1:${llmp.apiPort}/v1/traces/${traceId}`, {
      method: 'DELETE',
    });
    expect(deleted.status).toBe(202);
    expect((await llmp.api(`/v1/traces/${traceId}`)).status).toBe(404);
    expect(await syncOf(traceId)).toMatchObject({ state: 'pending', operation: 'delete' });

    await restartWithMlflowBack();
    const state = await eventually(async () => {
      const body = await syncOf(traceId);
      return body.state === 'deleted' ? body : undefined;
    }, 90_000);
    expect(state).toMatchObject({ operation: 'delete', state: 'deleted' });
    expect(await mlflowSpans(mlflow, traceId)).toBeUndefined();
    expect(await searchTraces(mlflow, experiment, "tag.`llmp.job.id` = 'job-delete-restart'")).toEqual([]);
  });
});
