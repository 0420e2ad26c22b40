import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { repoRoot } from './llmpProcess.ts';

export interface MlflowServer {
  url: string;
  port: number;
  /** Stops the server (SIGTERM to its process group); its SQLite data stays. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data, resolving once it answers. */
  start(): Promise<void>;
  /** Calls the REST API: JSON in, JSON out. */
  rest<T = unknown>(path: string, body?: unknown, method?: string): Promise<{ status: number; body: T }>;
}

/** The mlflow CLI: LLMP_MLFLOW_BIN, the venv `.ci/run` installs into .tools/mlflow, or PATH. */
function mlflowBin(): string | undefined {
  const candidates = [process.env.LLMP_MLFLOW_BIN, join(repoRoot, '.tools/mlflow/bin/mlflow')];
  for (const c of candidates) if (c && existsSync(c)) return c;
  const which = spawnSync('sh', ['-c', 'command -v mlflow'], { encoding: 'utf8' });
  return which.status === 0 ? which.stdout.trim() || undefined : undefined;
}

/**
 * Whether the MLflow suites run: MLflow is installed, or LLMP_REQUIRE_MLFLOW=1 demands it.
 * @example describe.skipIf(!mlflowWanted())('MLflow', …)
 */
export function mlflowWanted(): boolean {
  return process.env.LLMP_REQUIRE_MLFLOW === '1' || mlflowBin() !== undefined;
}

/**
 * A port free right now on 127.0.0.1 (taken from the OS, then released).
 * @example const port = await freePort();
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts a real MLflow tracking server on 127.0.0.1 and a free port, with a SQLite backend and
 * an artifact root in `dir`, and resolves once `/health` answers. Resolves undefined when MLflow
 * is not installed, unless LLMP_REQUIRE_MLFLOW=1 makes that a failure.
 * @example const mlflow = await startMlflowServer(dir); if (!mlflow) return; … await mlflow.stop();
 */
export async function startMlflowServer(
  dir: string,
  { timeoutMs = 180_000 }: { timeoutMs?: number } = {},
): Promise<MlflowServer | undefined> {
  const bin = mlflowBin();
  if (!bin) {
    if (process.env.LLMP_REQUIRE_MLFLOW === '1') {
      throw new Error(
        'LLMP_REQUIRE_MLFLOW=1 but no mlflow CLI was found (.tools/mlflow/bin/mlflow, LLMP_MLFLOW_BIN or PATH); ' +
          'install it with: python3 -m venv .tools/mlflow && .tools/mlflow/bin/pip install mlflow==3.17.2',
      );
    }
    return undefined;
  }
  mkdirSync(join(dir, 'artifacts'), { recursive: true });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let output = '';

  async function start(): Promise<void> {
    output = '';
    const proc = spawn(
      bin!,
      [
        'server',
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--workers',
        '1',
        '--backend-store-uri',
        `sqlite:///${join(dir, 'mlflow.db')}`,
        '--default-artifact-root',
        join(dir, 'artifacts'),
      ],
      // Its own process group, so stop() reaches the uvicorn worker too.
      {
        cwd: dir,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: 'true', DO_NOT_TRACK: 'true' },
      },
    );
    child = proc;
    proc.stdout!.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-20_000)));
    proc.stderr!.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-20_000)));
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`mlflow server exited with ${proc.exitCode}\n${output}`);
      try {
        const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    await stop();
    throw new Error(`mlflow server did not answer within ${timeoutMs} ms\n${output}`);
  }

  async function stop(): Promise<void> {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    try {
      process.kill(-proc.pid!, 'SIGTERM');
    } catch {
      // already gone
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-proc.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 15_000);
    await exited;
    clearTimeout(timer);
    // The worker may outlive the parent by a moment: wait until the port is free again.
    for (let i = 0; i < 100; i++) {
      try {
        await fetch(`${url}/health`, { signal: AbortSignal.timeout(500) });
      } catch {
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  await start();
  return {
    url,
    port,
    start,
    stop,
    async rest<T>(path: string, body?: unknown, method?: string) {
      const response = await fetch(`${url}${path}`, {
        method: method ?? (body === undefined ? 'GET' : 'POST'),
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON
      }
      return { status: response.status, body: parsed as T };
    },
  };
}

/**
 * Starts the MLflow tracking server a suite cannot run without, or throws.
 * @example mlflow = await requireMlflowServer(`${dir.path}/mlflow`);
 */
export async function requireMlflowServer(dir: string): Promise<MlflowServer> {
  const server = await startMlflowServer(dir);
  if (!server) throw new Error('MLflow is not installed');
  return server;
}

/**
 * The `exporters` section of a test llmp exporting to MLflow: quick retries, then `settings`
 * (YAML lines of the `mlflow` block, already indented by four spaces).
 * @example extraYaml: mlflowExporterYaml(mlflow.url, ['    sendingQueue: { queueSize: 2 }'])
 */
export function mlflowExporterYaml(trackingUri: string, settings: string[]): string {
  return [
    'exporters:',
    '  mlflow:',
    `    trackingUri: "${trackingUri}"`,
    '    retryOnFailure: { initialInterval: 200ms, maxInterval: 1s }',
    ...settings,
  ].join('\n');
}
