import type { Page } from '../service/jobSchema.ts';
import { pageCursor } from './pageCursor.ts';

/**
 * A page from up to `limit + 1` rows: the extra row only says that there is a next page, whose
 * cursor is the key of the last row shown.
 * @example pageOf(rows, 50, (e) => [e.seq])
 */
export function pageOf<T>(rows: T[], limit: number, key: (item: T) => Array<string | number>): Page<T> {
  const more = rows.length > limit;
  const items = more ? rows.slice(0, limit) : rows;
  return { items, next_cursor: more ? pageCursor.encode(key(items[items.length - 1]!)) : null };
}
