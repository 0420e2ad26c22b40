import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './llmpProcess.ts';

/**
 * The python of a venv `.ci/run` makes in `.tools/<venv>`, or the one `envVar` names; undefined
 * when neither exists (the suite then skips, or fails under CI=true).
 * @example const python = venvPython('LLMP_OPENINFERENCE_PYTHON', 'openinference');
 */
export function venvPython(envVar: string, venv: string): string | undefined {
  return [process.env[envVar], join(repoRoot, `.tools/${venv}/bin/python`)].find(
    (p): p is string => !!p && existsSync(p),
  );
}

/**
 * Runs a Python app to its end with `env` added to this process's; resolves with what it
 * printed (trimmed), rejects with the end of its stderr when it fails or outlasts `timeoutMs`.
 * @example const out = await runPythonApp({ python, app, env: { OTLP_URL }, name: 'the OpenInference app' });
 */
export function runPythonApp({
  python,
  app,
  env,
  name = 'the Python app',
  timeoutMs = 60_000,
}: {
  python: string;
  app: string;
  env: Record<string, string>;
  name?: string;
  timeoutMs?: number;
}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, [app], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out.trim());
      else reject(new Error(`${name} exited with ${code}: ${err.slice(-2000)}`));
    });
  });
}
