import type { JobEventKind, JobStatus } from './jobSchema.ts';

export type JobAction = 'pause' | 'resume' | 'complete' | 'terminate';
export const jobActions: readonly JobAction[] = ['pause', 'resume', 'complete', 'terminate'];

const targets: Record<JobAction, { to: JobStatus; from: JobStatus[]; kind: JobEventKind }> = {
  pause: { to: 'paused', from: ['active'], kind: 'paused' },
  resume: { to: 'active', from: ['paused'], kind: 'resumed' },
  complete: { to: 'completed', from: ['active', 'paused'], kind: 'completed' },
  terminate: { to: 'terminated', from: ['active', 'paused'], kind: 'terminated' },
};

export type TransitionResult =
  | { ok: true; to: JobStatus; kind: JobEventKind }
  | { ok: false; reason: string };

/**
 * The job lifecycle: active ⇄ paused; active|paused → completed|terminated, both final.
 * @example jobTransition('completed', 'resume') // { ok: false, reason: 'a completed job is final: …' }
 */
export function jobTransition(from: JobStatus, action: JobAction): TransitionResult {
  const target = targets[action];
  if (target.from.includes(from)) return { ok: true, to: target.to, kind: target.kind };
  if (from === 'completed' || from === 'terminated') {
    return { ok: false, reason: `a ${from} job is final: it cannot ${action}` };
  }
  return {
    ok: false,
    reason: `cannot ${action} a ${from} job (${action} applies to ${target.from.join(' or ')} jobs)`,
  };
}
