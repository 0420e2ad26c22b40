import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LlmpProcess, startLlmp } from '../support/llmpProcess.ts';
import {
  type MlflowServer,
  mlflowExporterYaml,
  mlflowWanted,
  requireMlflowServer,
} from '../support/mlflowServer.ts';
import { eventually, expectUploadedOnce, sendJobTrace, syncState } from '../support/mlflowTraces.ts';
import { tempDir } from '../support/tempDir.ts';

const dir = tempDir('mlflow-overflow');
const experiment = 'llmp-overflow';
let mlflow: MlflowServer;
let llmp: LlmpProcess;

const syncOf = (traceId: string) => syncState(llmp, traceId);

describe.skipIf(!mlflowWanted())('MLflow upload queue overflow (all-in-one, real MLflow)', () => {
  beforeAll(async () => {
    mlflow = await requireMlflowServer(`${dir.path}/mlflow`);
    llmp = await startLlmp({
      dataDir: `${dir.path}/data`,
      extraYaml: mlflowExporterYaml(mlflow.url, [
        `    experiments: { default: ${experiment} }`,
        '    sendingQueue: { numConsumers: 1, queueSize: 2 }',
      ]),
    });
  }, 240_000);

  afterAll(async () => {
    expect(await llmp?.stop()).toBe(0);
    await mlflow?.stop();
    dir.remove();
  }, 60_000);

  it('uploads every trace stored during an outage once MLflow is back, though the queue held only two', async () => {
    await mlflow.stop();
    const traceIds: string[] = [];
    for (let i = 0; i < 8; i++) {
      traceIds.push(
        await sendJobTrace(`http://127.0.0.1:${llmp.httpPort}/v1/traces`, {
          id: 'job-overflow',
          version: String(i),
        }),
      );
    }
    // The traces past the queue wait in the store, pending, instead of failing.
    const waiting = await eventually(async () => {
      const states = await Promise.all(traceIds.map(syncOf));
      return states.some((s) => s.reason?.startsWith('waiting for room')) ? states : undefined;
    });
    expect(waiting.every((s) => s.state === 'pending' && s.operation === 'upload')).toBe(true);
    const metrics = await (await llmp.api('/metrics')).text();
    expect(metrics).toMatch(/llmp_mlflow_upload_overflow_traces_total\{fate="deferred"\} [1-9]/);

    await mlflow.start();
    await expectUploadedOnce(mlflow, llmp, experiment, 'job-overflow', traceIds);
    expect(llmp.logs.some((l) => l.msg === 'queued deferred MLflow uploads from the store')).toBe(true);
  });
});
