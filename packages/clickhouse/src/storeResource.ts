import { resourceKey } from '@llmp/pipeline';
import type { ClickHouseStore } from './clickhouseStore.ts';

/** The host's ClickHouse store, opened and migrated (a server, or the embedded engine). */
export const storeResource = resourceKey<ClickHouseStore>('ClickHouse store (clickhouse section)');
