import type { ClickHouseStore } from '@llmp/clickhouse';
import type { Page } from '../service/jobSchema.ts';
import { pageCursor } from './pageCursor.ts';
import { pageOf } from './pageOf.ts';
import type { JobResult, PageRequest } from './storeResult.ts';
import { storeRows } from './storeRows.ts';

/** A row of a newest-first list: its time in ns (decimal text) and a tiebreak key. */
export interface TimeKeyedRow {
  ts: string;
  k: string;
}

/**
 * One page of a job's newest-first list (logs, scores) whose cursor is `[ts ns, k]`: `query`
 * must filter on `{hasCursor:UInt8}`, `{cursorTs:UInt64}`, `{cursorK:String}`, order by ts DESC,
 * k DESC and end with `LIMIT {limit:UInt32}`; a cursor this API did not give out is `invalid`.
 * @example const page = await newestFirstPage(store, { query, params: { projectId, jobId }, page: { limit: 50 }, action: 'job logs query', item: (r) => r });
 */
export async function newestFirstPage<R extends TimeKeyedRow, T>(
  store: ClickHouseStore,
  {
    query,
    params,
    page: { limit, cursor },
    action,
    item,
  }: {
    query: string;
    params: Record<string, unknown>;
    page: PageRequest;
    /** Names the query in a failure. */
    action: string;
    item: (row: R) => T;
  },
): Promise<JobResult<Page<T>>> {
  let key: Array<string | number> | undefined;
  if (cursor !== undefined) {
    key = pageCursor.decode(cursor, ['string', 'string']);
    if (!key || !/^\d+$/.test(String(key[0])))
      return { ok: false, failure: { kind: 'invalid', message: 'cursor is not one this API gave out' } };
  }
  const rows = await storeRows<R>(
    store,
    query,
    {
      ...params,
      hasCursor: key ? 1 : 0,
      cursorTs: key?.[0] ?? '0',
      cursorK: key?.[1] ?? '',
      limit: limit + 1,
    },
    action,
  );
  const { items, next_cursor } = pageOf(rows, limit, (r) => [r.ts, r.k]);
  return { ok: true, value: { items: items.map(item), next_cursor } };
}
