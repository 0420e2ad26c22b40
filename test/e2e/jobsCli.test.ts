import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LlmpProcess, repoRoot, startLlmp } from '../support/llmpProcess.ts';
import { tempDir } from '../support/tempDir.ts';

const dir = tempDir('jobs-cli');
let llmp: LlmpProcess;
beforeAll(async () => {
  llmp = await startLlmp({ dataDir: `${dir.path}/data` });
});
afterAll(async () => {
  await llmp?.stop('SIGKILL');
  dir.remove();
});

/** Runs `llmp jobs …` as a user would, against the running process's API. */
function jobs(...args: string[]) {
  const result = spawnSync(
    process.execPath,
    [
      '--experimental-strip-types',
      '--disable-warning=ExperimentalWarning',
      join(repoRoot, 'cmd/llmp/src/main.ts'),
      'jobs',
      ...args,
      '--api',
      `http://127.0.0.1:${llmp.apiPort}`,
    ],
    { cwd: repoRoot, encoding: 'utf8' },
  );
  return { code: result.status, out: result.stdout.trim(), err: result.stderr.trim() };
}

describe('llmp jobs', () => {
  it('creates, updates, changes status, rolls back, lists and shows a job through the API', () => {
    expect(
      jobs('create', '--id', 'cli-job', '--name', 'CLI job', '--prompt', 'Summarise {{ticket}}'),
    ).toEqual({
      code: 0,
      out: 'created cli-job (version 1)',
      err: '',
    });
    expect(jobs('update', 'cli-job', '--prompt', 'Summarise {{ticket}} briefly', '--if-match', '1').out).toBe(
      'cli-job: version 2',
    );
    const stale = jobs('update', 'cli-job', '--prompt', 'lost', '--if-match', '1');
    expect(stale.code).toBe(1);
    expect(stale.err).toBe(
      'llmp: 409 Conflict: job cli-job is at version 2, not 1 (If-Match); read it again and retry',
    );
    expect(jobs('pause', 'cli-job').out).toBe('cli-job: paused');
    expect(jobs('resume', 'cli-job').out).toBe('cli-job: active');
    expect(jobs('rollback', 'cli-job', '1').out).toBe('cli-job: version 3 (a copy of version 1)');
    expect(jobs('list', '--name', 'CLI').out).toBe('cli-job\tllm_task\tactive\tv3\tCLI job');

    const shown = jobs('show', 'cli-job');
    expect(shown.code).toBe(0);
    expect(shown.out.split('\n').slice(0, 3)).toEqual([
      'cli-job  llm_task, active, version 3',
      '  name          CLI job',
      '  prompt        Summarise {{ticket}}',
    ]);
    expect(JSON.parse(jobs('show', 'cli-job', '--json').out)).toMatchObject({ id: 'cli-job', version: 3 });

    expect(jobs('terminate', 'cli-job').out).toBe('cli-job: terminated');
    const illegal = jobs('resume', 'cli-job');
    expect(illegal.code).toBe(1);
    expect(illegal.err).toContain('a terminated job is final');
    expect(jobs('show', 'no-such-job').code).toBe(1);
  });
});
