import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, startLlmp } from '../support/llmpProcess.ts';
import { tempDir } from '../support/tempDir.ts';

const dir = tempDir('no-migrate');
afterAll(dir.remove);

/** One `llmp` command on the suite's data dir; its exit code and output. */
function llmp(args: string[]): { status: number | null; stderr: string; stdout: string } {
  const run = spawnSync(
    process.execPath,
    [
      '--experimental-strip-types',
      '--disable-warning=ExperimentalWarning',
      join(repoRoot, 'cmd/llmp/src/main.ts'),
      ...args,
      '--data-dir',
      dir.path,
    ],
    { cwd: repoRoot, encoding: 'utf8', timeout: 90_000, env: { ...process.env, CLICKHOUSE_URL: '' } },
  );
  return { status: run.status, stderr: run.stderr, stdout: run.stdout };
}

describe('a role started with --no-migrate', () => {
  it('refuses a store without the schema, plainly, and starts after llmp migrate', async () => {
    const refused = llmp(['query', '--no-migrate', '--set', 'query.endpoint=127.0.0.1:0']);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(
      /^llmp: the ClickHouse schema of llmp is at version 0, this llmp needs \d+\. This role runs with --no-migrate: run `llmp migrate`/,
    );
    const migrated = llmp(['migrate']);
    expect(migrated.status).toBe(0);
    expect(migrated.stdout).toContain('schema up to date');
    const query = await startLlmp({ dataDir: dir.path, command: 'query', args: ['--no-migrate'] });
    try {
      expect(query.logs.find((l) => l.msg === 'schema checked (not migrating)')).toMatchObject({
        schemaVersion: expect.any(Number),
      });
      expect(query.logs.some((l) => l.msg === 'schema up to date')).toBe(false);
      expect((await query.api('/healthz')).status).toBe(200);
    } finally {
      await query.stop();
    }
  });
});
