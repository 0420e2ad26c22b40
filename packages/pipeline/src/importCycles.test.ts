import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// STYLE.md: no import cycles. Type-only ones count too (madge reports them, and they tie the
// files together for every reader): component.ts ↔ intake.ts and ↔ componentFactories.ts were.
const dir = new URL('./', import.meta.url);

/** The relative imports and re-exports (`from './x.ts'`) of each source file of this package. */
function importGraph(): Map<string, string[]> {
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  return new Map(
    files.map((file) => {
      const text = readFileSync(new URL(file, dir), 'utf8');
      const targets = [...text.matchAll(/from '\.\/([^']+\.ts)'/g)].map((m) => m[1]!);
      return [file, targets.filter((t) => files.includes(t))];
    }),
  );
}

/** Every cycle found by a depth-first walk, each as the files in order. */
function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const done = new Set<string>();
  const walk = (file: string, path: string[]) => {
    const at = path.indexOf(file);
    if (at !== -1) {
      found.push([...path.slice(at), file]);
      return;
    }
    if (done.has(file)) return;
    for (const next of graph.get(file) ?? []) walk(next, [...path, file]);
    done.add(file);
  };
  for (const file of graph.keys()) walk(file, []);
  return found;
}

describe('packages/pipeline imports', () => {
  it('have no cycle, type-only imports included', () => {
    const graph = importGraph();
    expect(graph.get('buildService.ts')).toContain('intake.ts');
    expect(cycles(graph).map((c) => c.join(' → '))).toEqual([]);
  });
});
