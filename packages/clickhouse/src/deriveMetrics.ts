import { Counter, Gauge, Histogram, type Registry } from '@llmp/pipeline';
import type { ClickHouseStore } from './clickhouseStore.ts';
import { type DeriveCounts, madeDeriver, observeDerives } from './spansDeriver.ts';

/**
 * The embedded store's deriver (spansDeriver.ts) on `/metrics`, read from it at a scrape (zero
 * until an exporter made it): `llmp_store_derives_total`, `llmp_store_derived_payloads_total`,
 * `llmp_store_derived_bytes_total`, `llmp_store_derive_failures_total` (each failed attempt),
 * `llmp_store_derive_quarantined_payloads_total` (moved to `failed/`: spans stored, derived rows
 * missing; or staged, cut short by a crash, never stored), the gauges `llmp_store_derive_pending_bytes`, `llmp_store_derive_pending_payloads`
 * and `llmp_store_derive_oldest_pending_seconds` (what to alert on: derives stuck), and the
 * histogram `llmp_store_derive_duration_seconds`. Nothing for a ClickHouse server.
 * @example deriveMetrics(store, registry);
 */
export function deriveMetrics(store: ClickHouseStore, registry: Registry): void {
  if (!store.derive) return;
  const counter = (name: string, help: string, of: keyof DeriveCounts) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(madeDeriver(store)?.counts[of] ?? 0);
      },
    });
  counter(
    'llmp_store_derives_total',
    'Derives of the embedded store that filled its derived tables',
    'derives',
  );
  counter('llmp_store_derived_payloads_total', 'Payloads (INSERTs into spans) derived', 'derivedPayloads');
  counter('llmp_store_derived_bytes_total', 'RowBinary bytes of the payloads derived', 'derivedBytes');
  counter(
    'llmp_store_derive_failures_total',
    'Derive attempts that failed (retried, or moved aside)',
    'failures',
  );
  counter(
    'llmp_store_derive_quarantined_payloads_total',
    'Payloads the engine could not read, moved to failed/ (a derive: spans stored, derived rows missing; a payload cut short by a crash: never stored)',
    'quarantinedPayloads',
  );
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  gauge(
    'llmp_store_derive_pending_bytes',
    'Bytes stored in spans and not yet derived (past derivePendingBytes INSERTs wait)',
    () => madeDeriver(store)?.pendingBytes ?? 0,
  );
  gauge(
    'llmp_store_derive_pending_payloads',
    'Payloads stored in spans and not yet derived',
    () => madeDeriver(store)?.pendingPayloads ?? 0,
  );
  gauge(
    'llmp_store_derive_oldest_pending_seconds',
    'Age of the oldest payload not yet derived (0 if none)',
    () => {
      const oldest = madeDeriver(store)?.oldestPending;
      return oldest === undefined ? 0 : Math.max(0, (Date.now() - oldest) / 1000);
    },
  );
  const duration = new Histogram({
    name: 'llmp_store_derive_duration_seconds',
    help: 'Duration of the derives that filled the derived tables',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  observeDerives(store, (seconds) => duration.observe(seconds));
}
