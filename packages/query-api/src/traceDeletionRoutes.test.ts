import { describe, expect, it } from 'vitest';
import { queryApp, type TraceDeletion, type TraceSource } from './queryApp.ts';

const traceId = 'ab'.repeat(16);
const source: TraceSource = { readTrace: async () => [], ping: async () => {} };

function deletion(known: Set<string>): TraceDeletion & { deleted: string[] } {
  const deleted: string[] = [];
  const states = new Map<string, Record<string, unknown>>();
  return {
    deleted,
    async deleteTrace(projectId, id) {
      if (!known.delete(id)) return false;
      deleted.push(`${projectId}/${id}`);
      states.set(id, { state: 'pending', operation: 'delete' });
      return true;
    },
    syncState: (_projectId, id) => states.get(id),
  };
}

describe('queryApp trace deletion', () => {
  it('deletes a known trace, answers 202 with its sync state, and serves the state after', async () => {
    const traces = deletion(new Set([traceId]));
    const app = queryApp({ source, deletion: traces });
    const response = await app.request(`/v1/traces/${traceId.toUpperCase()}`, { method: 'DELETE' });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({
      traceId,
      deleted: true,
      sync: { state: 'pending', operation: 'delete' },
    });
    expect(traces.deleted).toEqual([`default/${traceId}`]);
    const sync = await app.request(`/v1/traces/${traceId}/sync`);
    expect(await sync.json()).toEqual({ traceId, state: 'pending', operation: 'delete' });
  });

  it('answers 404 for an unknown trace and 400 for a malformed id', async () => {
    const app = queryApp({ source, deletion: deletion(new Set()) });
    expect((await app.request(`/v1/traces/${traceId}`, { method: 'DELETE' })).status).toBe(404);
    expect((await app.request(`/v1/traces/${traceId}/sync`)).status).toBe(404);
    expect((await app.request('/v1/traces/xyz', { method: 'DELETE' })).status).toBe(400);
  });

  it('has no deletion routes when no deletion is wired', async () => {
    const app = queryApp({ source });
    expect((await app.request(`/v1/traces/${traceId}`, { method: 'DELETE' })).status).toBe(404);
  });
});
