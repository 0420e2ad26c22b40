import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface LlmpProcess {
  grpcPort: number;
  httpPort: number;
  apiPort: number;
  /** The health/metrics listener of the gateway, ingester and mlflow-exporter roles. */
  telemetryPort: number | undefined;
  child: ChildProcess;
  /** Log lines (parsed JSON) seen so far. */
  logs: Array<Record<string, unknown>>;
  stderr(): string;
  /** Sends a signal and waits for the process to exit; resolves with its exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  api(path: string): Promise<Response>;
}

export interface StartOptions {
  dataDir: string;
  /** The CLI verb: start (default), gateway, ingester, query. */
  command?: 'start' | 'gateway' | 'ingester' | 'query' | 'mlflow-exporter';
  /** More CLI arguments, e.g. --with-api. */
  args?: string[];
  /** YAML appended to the generated config (listeners are always on 127.0.0.1, port 0). */
  extraYaml?: string;
  /** Settings of the otlp receiver besides its endpoints, e.g. `{ maxInFlightRequests: 8 }`, and of its `http` part. */
  otlp?: { http?: Record<string, unknown>; grpc?: Record<string, unknown>; [key: string]: unknown };
  /** Settings of the query API besides its endpoint (llmp start), e.g. `{ tls: { certFile, keyFile } }`. */
  query?: Record<string, unknown>;
  env?: Record<string, string>;
  timeoutMs?: number;
  /** The checkout to run the CLI from (default: this repository), e.g. a production install. */
  root?: string;
}

/** The listener part of a test config: every role on 127.0.0.1 and free ports. */
function listenersYaml(
  { http = {}, grpc = {}, ...otlp }: NonNullable<StartOptions['otlp']> = {},
  query: Record<string, unknown> = {},
): string {
  return [
    'receivers:',
    '  otlp:',
    `    grpc: ${JSON.stringify({ ...grpc, endpoint: '127.0.0.1:0' })}`,
    `    http: ${JSON.stringify({ ...http, endpoint: '127.0.0.1:0' })}`,
    ...Object.entries(otlp).map(([key, value]) => `    ${key}: ${JSON.stringify(value)}`),
    `query: ${JSON.stringify({ ...query, endpoint: '127.0.0.1:0' })}`,
  ].join('\n');
}

/**
 * Starts an llmp role (`llmp start` by default) as a real child process, the way a user runs it, on free ports, and
 * resolves once it logs that it is ready.
 * @example const llmp = await startLlmp({ dataDir }); await llmp.stop();
 */
export async function startLlmp({
  dataDir,
  command = 'start',
  args = [],
  extraYaml = '',
  otlp,
  query,
  env = {},
  timeoutMs = 60_000,
  root = repoRoot,
}: StartOptions): Promise<LlmpProcess> {
  mkdirSync(dataDir, { recursive: true });
  const configFile = join(dataDir, '..', `${dataDir.split('/').pop()}-${command}.yaml`);
  // YAML merges nothing: extraYaml must not repeat a section of the listener part.
  const telemetry = 'telemetry:\n  endpoint: "127.0.0.1:0"';
  const base =
    command === 'gateway'
      ? `${listenersYaml(otlp).split('query:')[0]!}${telemetry}`
      : command === 'start'
        ? listenersYaml(otlp, query)
        : command === 'ingester'
          ? `query:\n  endpoint: "127.0.0.1:0"\n${telemetry}`
          : command === 'mlflow-exporter'
            ? telemetry
            : 'query:\n  endpoint: "127.0.0.1:0"';
  writeFileSync(configFile, `${base}\n${extraYaml}\n`);
  const child = spawn(
    process.execPath,
    [
      '--experimental-strip-types',
      '--disable-warning=ExperimentalWarning',
      join(root, 'cmd/llmp/src/main.ts'),
      command,
      ...args,
      '--config',
      configFile,
      '--data-dir',
      dataDir,
    ],
    {
      cwd: root,
      env: { ...process.env, LLMP_LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const logs: Array<Record<string, unknown>> = [];
  let errText = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    errText += chunk.toString();
  });
  // 'close', not 'exit': the last log lines are read only once stdout has ended.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const ports = await new Promise<{ grpc: number; http: number; api: number; telemetry?: number }>(
    (resolve, reject) => {
      const found: Record<string, number> = {};
      let pending = '';
      const timer = setTimeout(
        () => reject(new Error(`llmp not ready after ${timeoutMs} ms\n${errText}`)),
        timeoutMs,
      );
      child.stdout!.on('data', (chunk: Buffer) => {
        pending += chunk.toString();
        const lines = pending.split('\n');
        pending = lines.pop()!;
        for (const line of lines) {
          let entry: Record<string, unknown>;
          try {
            entry = JSON.parse(line);
          } catch {
            continue;
          }
          logs.push(entry);
          if (entry.msg === 'OTLP/gRPC receiver listening') found.grpc = entry.port as number;
          if (entry.msg === 'OTLP/HTTP receiver listening') found.http = entry.port as number;
          if (entry.msg === 'query API listening') found.api = entry.port as number;
          if (entry.msg === 'telemetry listening') found.telemetry = entry.port as number;
          if (entry.msg === 'llmp is ready') {
            clearTimeout(timer);
            resolve(found as { grpc: number; http: number; api: number; telemetry?: number });
          }
        }
      });
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`llmp exited with code ${code} before it was ready\n${errText}`));
      });
    },
  );
  return {
    grpcPort: ports.grpc,
    httpPort: ports.http,
    apiPort: ports.api,
    telemetryPort: ports.telemetry,
    child,
    logs,
    stderr: () => errText,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
    api: (path) => fetch(`http://127.0.0.1:${ports.api}${path}`),
  };
}
