import { afterAll } from 'vitest';
import type { LlmpProcess } from './llmpProcess.ts';
import { tempDir } from './tempDir.ts';

/**
 * A suite's temp dir and the llmp processes it started: after the suite each is killed (SIGKILL),
 * then `cleanup` runs (e.g. stopping a broker of the suite's own) and the dir is removed.
 * @example const { dir, track } = processScope('job-events-outbox', () => kafka?.stop());
 */
export function processScope(name: string, cleanup: () => Promise<unknown> = async () => {}) {
  const dir = tempDir(name);
  const running: LlmpProcess[] = [];
  const track = (p: LlmpProcess) => {
    running.push(p);
    return p;
  };
  afterAll(async () => {
    for (const p of running) await p.stop('SIGKILL');
    await cleanup();
    dir.remove();
  });
  return { dir, track };
}
