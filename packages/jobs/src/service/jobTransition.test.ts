import { describe, expect, it } from 'vitest';
import type { JobStatus } from './jobSchema.ts';
import { type JobAction, jobTransition } from './jobTransition.ts';

const statuses: JobStatus[] = ['active', 'paused', 'completed', 'terminated'];
const legal: Record<string, JobStatus> = {
  'active pause': 'paused',
  'paused resume': 'active',
  'active complete': 'completed',
  'paused complete': 'completed',
  'active terminate': 'terminated',
  'paused terminate': 'terminated',
};

describe('jobTransition', () => {
  const cases = statuses.flatMap((from) =>
    (['pause', 'resume', 'complete', 'terminate'] as JobAction[]).map((action) => [from, action] as const),
  );
  it.each(cases)('%s + %s', (from, action) => {
    const result = jobTransition(from, action);
    const to = legal[`${from} ${action}`];
    if (to) expect(result).toMatchObject({ ok: true, to });
    else {
      expect(result.ok).toBe(false);
      expect(!result.ok && result.reason).toContain(action);
    }
  });
  it('says a final status is final', () => {
    expect(jobTransition('terminated', 'resume')).toEqual({
      ok: false,
      reason: 'a terminated job is final: it cannot resume',
    });
  });
});
