import type { ClickHouseStore } from '@llmp/clickhouse';

/**
 * How many functions the engine has compiled to machine code since it started (JIT of
 * expressions, aggregates and sorts, done the fourth time it sees one, inside that query).
 * @example const before = await compiledFunctions(store);
 */
export async function compiledFunctions(store: ClickHouseStore): Promise<number> {
  const result = await store.client.query({
    query: "SELECT sum(value) AS n FROM system.events WHERE event = 'CompileFunction'",
    format: 'JSONEachRow',
  });
  return Number((await result.json<{ n: string }>())[0]!.n);
}
