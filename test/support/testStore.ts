import { type ClickHouseStore, type OpenStoreOptions, openStore, targetParts } from '@llmp/clickhouse';

/**
 * The ClickHouse server the integration suites run against instead of the embedded engine,
 * when `CLICKHOUSE_URL` is set (README, "Testing against a ClickHouse server");
 * `CLICKHOUSE_CLUSTER` makes the schema a cluster's.
 */
export const clickhouseServer = process.env.CLICKHOUSE_URL || undefined;

// A data dir is one store, as on the embedded engine: its second opening joins the first.
const opened = new Set<string>();

/**
 * A store for one suite: the embedded engine in `dataDir`, or, with `CLICKHOUSE_URL`, a
 * database on that server (`CLICKHOUSE_TEST_DATABASE`, default `llmp_test`: never the
 * application's), dropped when a data dir first opens it and when it closes.
 * @example store = await openTestStore(dir.path); afterAll(() => store.close());
 */
export async function openTestStore(
  dataDir: string,
  options: Omit<OpenStoreOptions, 'url' | 'dataDir'> = {},
): Promise<ClickHouseStore> {
  if (!clickhouseServer) return openStore({ dataDir, ...options });
  const store = await openStore({
    url: clickhouseServer,
    database: process.env.CLICKHOUSE_TEST_DATABASE || 'llmp_test',
    cluster: process.env.CLICKHOUSE_CLUSTER || undefined,
    username: process.env.CLICKHOUSE_USER || undefined,
    password: process.env.CLICKHOUSE_PASSWORD || undefined,
    ...options,
  });
  const { db, onCluster } = targetParts({ database: store.database, cluster: store.cluster });
  const drop = () => store.client.command({ query: `DROP DATABASE IF EXISTS ${db}${onCluster} SYNC` });
  if (!opened.has(dataDir)) await drop();
  opened.add(dataDir);
  return {
    ...store,
    close: async () => {
      await drop();
      await store.close();
    },
  };
}
