import { startLlmp } from '../../test/support/llmpProcess.ts';
import { freePort } from '../../test/support/mlflowServer.ts';
import { tempDir } from '../../test/support/tempDir.ts';
import { benchLoad } from './benchLoad.ts';
import { quantiles } from './quantiles.ts';

// A free port nothing listens on: MLflow down, every request refused at once.
const mlflowDownYaml = (port: number) =>
  [
    'exporters:',
    '  mlflow:',
    `    trackingUri: "http://127.0.0.1:${port}"`,
    '    retryOnFailure: { initialInterval: 200ms, maxInterval: 1s }',
    '    drainTimeout: 1s',
  ].join('\n');

async function round(withMlflow: boolean, seconds: number) {
  const dir = tempDir('bench-mlflow');
  const llmp = await startLlmp({
    dataDir: `${dir.path}/data`,
    extraYaml: withMlflow ? mlflowDownYaml(await freePort()) : '',
  });
  try {
    const load = await benchLoad(`http://127.0.0.1:${llmp.grpcPort}`, {
      rate: 0,
      concurrency: 32,
      durationMs: seconds * 1000,
    });
    const metrics = await (await llmp.api('/metrics')).text();
    // loadgen reuses trace ids, so this is about the distinct traces sent: one row each.
    const written = /llmp_mlflow_sync_state_rows_total\{result="written"\} (\d+)/.exec(metrics)?.[1];
    return { spansPerSecond: load.spansPerSecond, stateRowsWritten: Number(written ?? 0) };
  } finally {
    await llmp.stop('SIGTERM');
    dir.remove();
  }
}

/**
 * all-in-one ingest with MLflow configured but down (every trace queued and retried, its
 * pending state written to mlflow_sync) against no MLflow at all, in interleaved rounds
 * (A, B, A, B …) so a loaded machine weighs on both alike.
 */
export async function mlflowScenario({ seconds, rounds = 3 }: { seconds: number; rounds?: number }) {
  const without: number[] = [];
  const withDown: number[] = [];
  const stateRows: number[] = [];
  for (let i = 0; i < rounds; i++) {
    without.push((await round(false, seconds)).spansPerSecond);
    const b = await round(true, seconds);
    withDown.push(b.spansPerSecond);
    stateRows.push(b.stateRowsWritten);
  }
  const a = quantiles(without).p50;
  const b = quantiles(withDown).p50;
  return {
    scenario: 'mlflow-down',
    command: `llmp start (no MLflow | exporters.mlflow down); llmp loadgen -p grpc -c 32 -t 20 -d ${seconds}; ${rounds} interleaved rounds`,
    spansPerSecondWithoutMlflow: without,
    spansPerSecondMlflowDown: withDown,
    syncStateRowsWritten: stateRows,
    medianRatio: Math.round((b / a) * 1000) / 1000,
  };
}
