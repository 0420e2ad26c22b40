import { exporterHelperConfig } from '@llmp/pipeline';
import { z } from 'zod';

export const clickhouseExporterConfig = z.object({
  /** Table the spans go to, inside the store's database. */
  table: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
    .default('spans'),
  /**
   * Sync every part an insert writes to disk (ClickHouse's MergeTree `fsync_after_insert` and
   * `fsync_part_directory`) before the insert, and so the sender's 200, returns. Off: a 200 means
   * written to the engine's files, which the OS flushes later (README, Durability).
   */
  fsync: z.boolean().default(false),
  /** retryOnFailure, sendingQueue (with 2 consumers) and drainTimeout: see exporterHelperConfig. */
  ...exporterHelperConfig({ numConsumers: 2 }),
});

export type ClickHouseExporterConfig = z.infer<typeof clickhouseExporterConfig>;
