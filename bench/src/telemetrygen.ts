import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where the Go-built comparison tools live: ~/.cache/llmp/otelcol (kept between runs). */
export const otelcolCache = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'llmp', 'otelcol');

/** telemetrygen's version, the one the issue 21 measurements used. */
export const telemetrygenVersion = 'v0.161.0';

/**
 * The telemetrygen binary, built from the Go module proxy into the cache on first use.
 * @example const bin = telemetrygenBinary();
 */
export function telemetrygenBinary(): string {
  const bin = join(otelcolCache, 'bin', 'telemetrygen');
  if (existsSync(bin)) return bin;
  mkdirSync(join(otelcolCache, 'bin'), { recursive: true });
  execFileSync(
    'go',
    [
      'install',
      `github.com/open-telemetry/opentelemetry-collector-contrib/cmd/telemetrygen@${telemetrygenVersion}`,
    ],
    { env: { ...process.env, GOBIN: join(otelcolCache, 'bin') }, stdio: 'inherit' },
  );
  return bin;
}

/**
 * Sends `spans` small spans (telemetrygen's parent + child traces) over OTLP/gRPC with `workers`
 * senders, as fast as answered, and resolves with the wall time once telemetrygen exits. With
 * `seconds`, it sends for that long instead. At `--rate 0` telemetrygen's SDK queue drops what its
 * one exporter cannot send, so count what the receiver acknowledged, not `spans`. `goMaxProcs`
 * bounds the cores its generating goroutines take from the process under test.
 * @example const { seconds } = await runTelemetrygen({ endpoint: '127.0.0.1:4317', spans: 500_000, workers: 4 });
 */
export async function runTelemetrygen({
  endpoint,
  spans = 0,
  workers,
  seconds,
  goMaxProcs,
  rate = 0,
}: {
  endpoint: string;
  spans?: number;
  workers: number;
  seconds?: number;
  goMaxProcs?: number;
  /** Traces per second per worker (0: unthrottled, telemetrygen then drops most of what it makes). */
  rate?: number;
}): Promise<{ seconds: number; spans: number }> {
  // --traces counts per worker; each trace is two spans.
  const traces = Math.ceil(spans / workers / 2);
  const args = ['traces', '--otlp-insecure', '--otlp-endpoint', endpoint, '--workers', String(workers)];
  if (seconds) args.push('--duration', `${seconds}s`, '--rate', String(rate));
  else args.push('--traces', String(traces), '--rate', String(rate));
  const env = goMaxProcs ? { ...process.env, GOMAXPROCS: String(goMaxProcs) } : process.env;
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(telemetrygenBinary(), args, { stdio: ['ignore', 'ignore', 'pipe'], env });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`telemetrygen exited ${code}: ${stderr}`)),
    );
  });
  return { seconds: (performance.now() - started) / 1000, spans: traces * workers * 2 };
}
