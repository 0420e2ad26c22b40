import { type ClickHouseStore, classifyClickHouseError } from '@llmp/clickhouse';

/**
 * The rows of a parameterised query, with a failure given its kind (retryable unless the
 * server's code says the data is bad).
 * @example const rows = await storeRows<{ id: string }>(store, 'SELECT id FROM …', { projectId }, 'job query');
 */
export async function storeRows<T>(
  store: ClickHouseStore,
  query: string,
  params: Record<string, unknown>,
  action: string,
): Promise<T[]> {
  try {
    const result = await store.client.query({ query, query_params: params, format: 'JSONEachRow' });
    return await result.json<T>();
  } catch (error) {
    throw classifyClickHouseError(error, action);
  }
}
