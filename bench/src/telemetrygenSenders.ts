import { spawn } from 'node:child_process';
import { telemetrygenBinary } from './telemetrygen.ts';

/**
 * Runs `senders` telemetrygen processes for `seconds`, each offering `rate` small spans/s over
 * OTLP/gRPC in requests of `batchSize` spans. One process is one sender: telemetrygen's
 * `--workers` share one SDK batch span processor, which has a single export in flight, so
 * `--workers 4` is one request at a time, not four. The SDK drops what its 2 048-span queue
 * cannot hold and still exits 0, so the caller counts what the receiver accepted; `generatedSpans`
 * (from each worker's last log line) minus that is what the senders dropped.
 * @example await runTelemetrygenSenders({ endpoint: '127.0.0.1:4317', senders: 4, rate: 10_000, seconds: 15, batchSize: 512 });
 */
export async function runTelemetrygenSenders({
  endpoint,
  senders,
  rate,
  seconds,
  batchSize,
  workersPerSender = 1,
  goMaxProcs,
  onStart,
}: {
  endpoint: string;
  senders: number;
  rate: number;
  seconds: number;
  batchSize: number;
  /** Generating goroutines per process, each at `rate`; still one export in flight per process. */
  workersPerSender?: number;
  /** GOMAXPROCS of each process (default: Go's, every core). */
  goMaxProcs?: number | undefined;
  /** Called with the processes' pids once all are spawned (e.g. to sample their /proc entries). */
  onStart?: ((pids: number[]) => void) | undefined;
}): Promise<{ seconds: number; generatedSpans: number }> {
  const args = ['traces', '--otlp-insecure', '--otlp-endpoint', endpoint];
  args.push('--workers', String(workersPerSender));
  args.push('--rate', String(rate), '--duration', `${seconds}s`, '--batch-size', String(batchSize));
  const env = goMaxProcs ? { ...process.env, GOMAXPROCS: String(goMaxProcs) } : process.env;
  const started = performance.now();
  const pids: number[] = [];
  // Each worker logs `traces generated {"worker": n, "traces": m}` as it stops; a trace is two spans.
  let generatedTraces = 0;
  const exits = Array.from(
    { length: senders },
    () =>
      new Promise<void>((resolve, reject) => {
        const child = spawn(telemetrygenBinary(), args, { stdio: ['ignore', 'ignore', 'pipe'], env });
        if (child.pid) pids.push(child.pid);
        let stderr = '';
        let partial = '';
        child.stderr.on('data', (chunk: Buffer) => {
          stderr = (stderr + chunk.toString()).slice(-4000);
          const lines = (partial + chunk.toString()).split('\n');
          partial = lines.pop()!.slice(-4000);
          for (const line of lines) {
            const generated = /traces generated\s.*"traces": (\d+)/.exec(line);
            if (generated) generatedTraces += Number(generated[1]);
          }
        });
        child.on('error', reject);
        // 'close', not 'exit': the workers' last stderr lines may come after the exit.
        child.on('close', (code) =>
          code === 0 ? resolve() : reject(new Error(`telemetrygen exited ${code}: ${stderr}`)),
        );
      }),
  );
  onStart?.(pids);
  await Promise.all(exits);
  return { seconds: (performance.now() - started) / 1000, generatedSpans: generatedTraces * 2 };
}
