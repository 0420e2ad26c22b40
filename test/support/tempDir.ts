import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A fresh directory for one suite, removed by the returned cleanup.
 * @example const { path, remove } = tempDir('restart'); afterAll(remove);
 */
export function tempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `llmp-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
