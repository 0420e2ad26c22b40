/** The name of a job as the jobs table has it; undefined when unknown or not worth a tag. */
export type JobNames = (projectId: string, jobId: string) => Promise<string | undefined>;

export interface JobNameCacheOptions {
  /** Jobs remembered (the least recently stored is forgotten first). */
  max?: number;
  /** How long a name (or its absence) is trusted: a renamed job shows on traces after this. */
  ttlMs?: number;
  now?: () => number;
}

/**
 * A bounded, expiring cache in front of a job name lookup. A failed lookup is not remembered
 * and answers undefined, so the caller falls back to what the span says.
 * @example const names = cachedJobNames(async (p, id) => (await jobs.get(p, id))?.name);
 */
export function cachedJobNames(
  lookup: JobNames,
  { max = 1000, ttlMs = 60_000, now = Date.now }: JobNameCacheOptions = {},
): JobNames {
  const entries = new Map<string, { name: string | undefined; expires: number }>();
  return async (projectId, jobId) => {
    const key = `${projectId}\u0000${jobId}`;
    const hit = entries.get(key);
    if (hit && hit.expires > now()) return hit.name;
    let name: string | undefined;
    try {
      name = await lookup(projectId, jobId);
    } catch {
      return undefined;
    }
    entries.delete(key);
    entries.set(key, { name, expires: now() + ttlMs });
    if (entries.size > max) entries.delete(entries.keys().next().value!);
    return name;
  };
}
