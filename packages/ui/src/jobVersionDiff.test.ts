import { describe, expect, it } from 'vitest';
import { jobVersionDiff } from './jobVersionDiff.ts';

describe('jobVersionDiff', () => {
  it('names the definition fields that differ, not the record bookkeeping', () => {
    const v1 = {
      version: 1,
      updated_at: 'a',
      prompt: 'Summarise {text}',
      metadata: { team: 'x' },
      name: 'j',
    };
    const v2 = {
      version: 2,
      updated_at: 'b',
      prompt: 'Summarise {text} briefly',
      metadata: { team: 'x' },
      name: 'j',
    };
    expect(jobVersionDiff(v1, v2)).toEqual([
      { field: 'prompt', from: '"Summarise {text}"', to: '"Summarise {text} briefly"' },
    ]);
  });

  it('shows a field one version lacks as empty on that side', () => {
    expect(jobVersionDiff({ version: 1 }, { version: 2, description: 'new' })).toEqual([
      { field: 'description', from: '', to: '"new"' },
    ]);
  });

  it('is empty for equal definitions (a rollback target and its copy)', () => {
    expect(jobVersionDiff({ version: 1, prompt: 'p' }, { version: 3, prompt: 'p' })).toEqual([]);
  });
});
