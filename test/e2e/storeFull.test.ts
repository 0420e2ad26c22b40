import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { type LlmpProcess, startLlmp } from '../support/llmpProcess.ts';
import { otlpJsonTrace, postJson } from '../support/otlpJson.ts';
import { tempDir } from '../support/tempDir.ts';

const dir = tempDir('store-full');
const dataDir = `${dir.path}/data`;
let llmp: LlmpProcess | undefined;
let mounted = false;
afterAll(async () => {
  await llmp?.stop('SIGKILL');
  if (mounted) execFileSync('umount', [dataDir]);
  dir.remove();
});

/** Fills the file system of the data dir to the last byte; dd stops with ENOSPC. */
function fillDisk(file: string): void {
  try {
    execFileSync('dd', ['if=/dev/zero', `of=${file}`, 'bs=1M'], { stdio: 'ignore' });
  } catch {
    // dd exits 1 at "No space left on device": that is the point.
  }
}

describe('a store whose disk is full', () => {
  it('answers senders with a retryable 503 and /readyz 503 until a write succeeds again', async () => {
    // A real full disk: the data dir is a small tmpfs (the test runs as root, as CI does).
    mkdirSync(dataDir, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256m', 'tmpfs', dataDir]);
    mounted = true;
    llmp = await startLlmp({ dataDir });
    expect((await llmp.api('/readyz')).status).toBe(200);

    const filler = `${dataDir}/filler`;
    fillDisk(filler);
    const { body, traceId } = otlpJsonTrace({ spans: 20 });
    const refused = await postJson(llmp.httpPort, body);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).not.toBeNull();
    const notReady = await llmp.api('/readyz');
    expect(notReady.status).toBe(503);
    expect(((await notReady.json()) as { reason: string }).reason).toContain('store refuses writes');

    // Space again: the sender's retry of the same data is stored and the store is ready again.
    rmSync(filler);
    const retried = await postJson(llmp.httpPort, body);
    expect(retried.status).toBe(200);
    expect((await llmp.api('/readyz')).status).toBe(200);
    const trace = await llmp.api(`/v1/traces/${traceId}`);
    expect(((await trace.json()) as { spans: unknown[] }).spans).toHaveLength(20);
  }, 90_000);
});
