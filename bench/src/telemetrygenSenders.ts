import { spawn } from 'node:child_process';
import { telemetrygenBinary } from './telemetrygen.ts';

/**
 * Runs `senders` telemetrygen processes for `seconds`, each offering `rate` small spans/s over
 * OTLP/gRPC in requests of `batchSize` spans. One process is one sender: telemetrygen's
 * `--workers` share one SDK batch span processor, which has a single export in flight, so
 * `--workers 4` is one request at a time, not four. The SDK drops what its 2 048-span queue
 * cannot hold and still exits 0, so the caller counts what the receiver accepted.
 * @example await runTelemetrygenSenders({ endpoint: '127.0.0.1:4317', senders: 4, rate: 10_000, seconds: 15, batchSize: 512 });
 */
export async function runTelemetrygenSenders({
  endpoint,
  senders,
  rate,
  seconds,
  batchSize,
  workersPerSender = 1,
}: {
  endpoint: string;
  senders: number;
  rate: number;
  seconds: number;
  batchSize: number;
  /** Generating goroutines per process, each at `rate`; still one export in flight per process. */
  workersPerSender?: number;
}): Promise<{ seconds: number }> {
  const args = ['traces', '--otlp-insecure', '--otlp-endpoint', endpoint];
  args.push('--workers', String(workersPerSender));
  args.push('--rate', String(rate), '--duration', `${seconds}s`, '--batch-size', String(batchSize));
  const started = performance.now();
  await Promise.all(
    Array.from(
      { length: senders },
      () =>
        new Promise<void>((resolve, reject) => {
          const child = spawn(telemetrygenBinary(), args, { stdio: ['ignore', 'ignore', 'pipe'] });
          let stderr = '';
          child.stderr.on('data', (chunk: Buffer) => {
            stderr = (stderr + chunk.toString()).slice(-4000);
          });
          child.on('error', reject);
          child.on('exit', (code) =>
            code === 0 ? resolve() : reject(new Error(`telemetrygen exited ${code}: ${stderr}`)),
          );
        }),
    ),
  );
  return { seconds: (performance.now() - started) / 1000 };
}
