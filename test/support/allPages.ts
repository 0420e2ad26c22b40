import type { LlmpProcess } from './llmpProcess.ts';

/**
 * Every item of a paged list of the query API (`{ items, next_cursor }`), following the
 * cursors 500 at a time; what it has so far when an answer is not 200 (e.g. not stored yet).
 * @example const logs = await allPages<StoredLog>(ingester, '/v1/logs?service=checkout');
 */
export async function allPages<T>(api: Pick<LlmpProcess, 'api'>, path: string): Promise<T[]> {
  const all: T[] = [];
  const separator = path.includes('?') ? '&' : '?';
  let cursor: string | null = '';
  while (cursor !== null) {
    const response = await api.api(`${path}${separator}limit=500${cursor ? `&cursor=${cursor}` : ''}`);
    if (response.status !== 200) return all;
    const page = (await response.json()) as { items: T[]; next_cursor: string | null };
    all.push(...page.items);
    cursor = page.next_cursor;
  }
  return all;
}
