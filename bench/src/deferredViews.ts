import type { ClickHouseStore } from '@llmp/clickhouse';

const spansTable = /\bllmp\.spans\b(?!_)/g;

/**
 * Moves every materialized view on `llmp.spans` onto `llmp.spans_derive`, a Null-engine table
 * with spans' columns (same SELECTs, same targets): an INSERT into spans then writes spans alone,
 * and the derived tables are filled by INSERTs into spans_derive (issue 21 item 2, `deferviews`).
 * Returns the views moved.
 * @example const moved = await deferViews(store); // ['genai_scores_spans_mv', …]
 */
export async function deferViews(store: ClickHouseStore): Promise<string[]> {
  await store.client.command({ query: 'CREATE TABLE llmp.spans_derive AS llmp.spans ENGINE = Null' });
  const result = await store.client.query({
    query: `SELECT name, create_table_query FROM system.tables WHERE database = 'llmp' AND engine = 'MaterializedView'`,
    format: 'JSONEachRow',
  });
  const moved: string[] = [];
  for (const v of await result.json<{ name: string; create_table_query: string }>()) {
    const onDerive = v.create_table_query.replace(spansTable, 'llmp.spans_derive');
    if (onDerive === v.create_table_query) continue;
    await store.client.command({ query: `DROP VIEW llmp.${v.name}` });
    await store.client.command({ query: onDerive });
    moved.push(v.name);
  }
  return moved;
}
