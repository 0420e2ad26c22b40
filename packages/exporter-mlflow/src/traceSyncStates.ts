/** Where a trace stands with MLflow. */
export type SyncStateName = 'pending' | 'uploaded' | 'deleted' | 'failed';

export interface TraceSyncState {
  state: SyncStateName;
  /** What the state is about: the upload of the trace, or its deletion. */
  operation: 'upload' | 'delete';
  reason?: string;
  experimentId?: string;
  attempts: number;
  updatedAt: string;
}

export interface TraceSyncStates {
  get(key: string): TraceSyncState | undefined;
  /** Records the state (stamped now unless `updatedAt` is given) and returns it. */
  set(key: string, state: Omit<TraceSyncState, 'updatedAt'>, updatedAt?: string): TraceSyncState;
  readonly size: number;
}

/**
 * A bounded map of per-trace sync states: the oldest-updated trace is forgotten first.
 * @example const states = traceSyncStates(100_000); states.set(key, { state: 'pending', operation: 'upload', attempts: 0 });
 */
export function traceSyncStates(max: number): TraceSyncStates {
  const states = new Map<string, TraceSyncState>();
  return {
    get: (key) => states.get(key),
    set(key, state, updatedAt = new Date().toISOString()) {
      const full = { ...state, updatedAt };
      states.delete(key);
      states.set(key, full);
      if (states.size > max) states.delete(states.keys().next().value!);
      return full;
    },
    get size() {
      return states.size;
    },
  };
}
