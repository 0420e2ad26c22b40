import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { neededNode, nodeTooOld } from './requireNode.mjs';

const script = fileURLToPath(new URL('./requireNode.mjs', import.meta.url));

describe('requireNode', () => {
  it('names the Node needed and the one found when it is older than 22.12', () => {
    const message = nodeTooOld('20.20.2', '/usr/bin/node');
    expect(message).toContain('llmp needs Node 22.12 or newer; this is Node 20.20.2 (/usr/bin/node)');
    expect(nodeTooOld('22.11.0', '/n')).toBeDefined();
    expect(nodeTooOld('18.0.0', '/n')).toBeDefined();
  });

  it('lets 22.12 and every newer Node through', () => {
    for (const version of ['22.12.0', '22.20.1', '23.0.0', '24.11.1', '30.1.0']) {
      expect(nodeTooOld(version, '/n')).toBeUndefined();
    }
  });

  it('agrees with package.json engines and exits 0 on this Node', () => {
    const root = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
    expect(root.engines.node).toBe(`>=${neededNode}`);
    const run = spawnSync(process.execPath, [script], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stderr).toBe('');
  });
});
