import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LlmpProcess, repoRoot, startLlmp } from '../support/llmpProcess.ts';
import { tempDir } from '../support/tempDir.ts';

// Keys are configured as sha256 hashes (README "Security and limits").
const line = (key: string, project: string, role: string) =>
  `sha256:${createHash('sha256').update(key).digest('hex')}=${project}:${role}`;

const dir = tempDir('cli-api-key');
let llmp: LlmpProcess;
beforeAll(async () => {
  llmp = await startLlmp({
    dataDir: `${dir.path}/data`,
    env: {
      LLMP_API_KEYS: [line('cli-admin', 'team-c', 'admin'), line('cli-ingest', 'team-c', 'ingest')].join(','),
    },
  });
});
afterAll(async () => {
  await llmp?.stop('SIGKILL');
  dir.remove();
});

/** Runs `llmp …` as a user would, with LLMP_API_KEY only where `env` sets it. */
function llmpCli(args: string[], env: Record<string, string> = {}) {
  const { LLMP_API_KEY: _unset, ...base } = process.env;
  const result = spawnSync(
    process.execPath,
    [
      '--experimental-strip-types',
      '--disable-warning=ExperimentalWarning',
      join(repoRoot, 'cmd/llmp/src/main.ts'),
      ...args,
    ],
    { cwd: repoRoot, encoding: 'utf8', env: { ...base, ...env } },
  );
  return { code: result.status, out: result.stdout.trim(), err: result.stderr.trim() };
}
const jobs = (args: string[], env?: Record<string, string>) =>
  llmpCli(['jobs', ...args, '--api', `http://127.0.0.1:${llmp.apiPort}`], env);
const loadgen = (protocol: string, endpoint: string, args: string[], env?: Record<string, string>) =>
  JSON.parse(
    llmpCli(
      [
        'loadgen',
        '-p',
        protocol,
        '-e',
        endpoint,
        '-r',
        '50',
        '-c',
        '1',
        '-d',
        '1',
        '-t',
        '1',
        '--json',
        ...args,
      ],
      env,
    ).out,
  ) as { acknowledgedSpans: number; refusedSpans: number; failedAnswers: Record<string, number> };

describe('llmp jobs with an API key', () => {
  it('is refused without a key and works with --api-key or LLMP_API_KEY', () => {
    const anonymous = jobs(['create', '--id', 'keyed-job', '--name', 'Keyed']);
    expect(anonymous.code).toBe(1);
    expect(anonymous.err).toMatch(/^llmp: 401/);

    expect(jobs(['create', '--id', 'keyed-job', '--name', 'Keyed', '--api-key', 'cli-admin']).out).toBe(
      'created keyed-job (version 1)',
    );
    expect(jobs(['list'], { LLMP_API_KEY: 'cli-admin' }).out).toBe('keyed-job\tllm_task\tactive\tv1\tKeyed');
  });
});

describe('llmp loadgen with an API key', () => {
  it.each([
    ['http/protobuf', () => `http://127.0.0.1:${llmp.httpPort}`],
    ['grpc', () => `http://127.0.0.1:${llmp.grpcPort}`],
  ])('%s: spans are refused without a key and acknowledged with one', (protocol, endpoint) => {
    const anonymous = loadgen(protocol, endpoint(), []);
    expect(anonymous.acknowledgedSpans).toBe(0);
    expect(anonymous.refusedSpans).toBeGreaterThan(0);
    expect(loadgen(protocol, endpoint(), ['--api-key', 'cli-ingest']).acknowledgedSpans).toBeGreaterThan(0);
    const fromEnv = loadgen(protocol, endpoint(), [], { LLMP_API_KEY: 'cli-ingest' });
    expect(fromEnv.acknowledgedSpans).toBeGreaterThan(0);
    expect(fromEnv.refusedSpans).toBe(0);
  });
});
