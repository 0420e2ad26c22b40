import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../support/llmpProcess.ts';
import { tempDir } from '../support/tempDir.ts';

const dir = tempDir('data-dir-perm');
afterAll(dir.remove);
// The user a container or a service account runs as: not the owner of a data dir root made.
const nobody = 65534;

/** `llmp start` as another user (the test runs as root, as CI does); its exit code and stderr. */
function startAsNobody(dataDir: string): { status: number | null; stderr: string } {
  const run = spawnSync(
    process.execPath,
    [
      '--experimental-strip-types',
      '--disable-warning=ExperimentalWarning',
      join(repoRoot, 'cmd/llmp/src/main.ts'),
      'start',
      '--data-dir',
      dataDir,
      ...['receivers.otlp.grpc.endpoint', 'receivers.otlp.http.endpoint', 'query.endpoint'].flatMap((key) => [
        '--set',
        `${key}=127.0.0.1:0`,
      ]),
    ],
    { cwd: repoRoot, uid: nobody, gid: nobody, encoding: 'utf8', timeout: 60_000 },
  );
  return { status: run.status, stderr: run.stderr };
}

describe('llmp start on a data dir this user cannot write', () => {
  chmodSync(dir.path, 0o755);

  it('says the data dir is not writable and by whom, and stops with exit 2', () => {
    const dataDir = join(dir.path, 'root-owned');
    mkdirSync(dataDir, { mode: 0o755 });
    const { status, stderr } = startAsNobody(dataDir);
    expect(status).toBe(2);
    expect(stderr).toContain(`the data dir ${dataDir} is not writable by this process (uid ${nobody})`);
    expect(stderr).not.toContain('already open');
  });

  it('names the engine dir a writable data dir holds, instead of "already open in another process"', () => {
    // A data dir first run as root and then handed to a service user without its contents.
    const dataDir = join(dir.path, 'handed-over');
    mkdirSync(join(dataDir, 'clickhouse'), { recursive: true, mode: 0o755 });
    chmodSync(dataDir, 0o777);
    const { status, stderr } = startAsNobody(dataDir);
    expect(status).toBe(2);
    expect(stderr).toContain(`${join(dataDir, 'clickhouse')}, owned by uid 0 (EACCES)`);
    expect(stderr).not.toContain('already open');
    // Nothing was claimed: the next owner finds no pid file of a process that never ran.
    expect(existsSync(join(dataDir, 'llmp.pid'))).toBe(false);
  });
});
