import { apiKeysConfig } from '@llmp/auth';
import { clickhouseExporterConfig, embeddedEngineConfig } from '@llmp/clickhouse';
import { mlflowExporterConfig } from '@llmp/exporter-mlflow';
import { genAiProcessorConfig } from '@llmp/genai';
import { jobLinkerConfig } from '@llmp/jobs';
import { endpoint } from '@llmp/pipeline';
import { batchProcessorConfig } from '@llmp/processors';
import { otlpReceiverConfig } from '@llmp/receiver-otlp';
import { z } from 'zod';

/**
 * The store section: a ClickHouse server, or (no url) the embedded engine in the data dir, started
 * with the role's `embedded` section.
 */
export function storeSection(embedded: typeof embeddedEngineConfig) {
  return z
    .object({
      url: z.url().optional(),
      database: z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain identifier')
        .default('llmp'),
      username: z.string().optional(),
      password: z.string().optional(),
      /** How the embedded engine starts: memory bound, allocator, server settings (no url only). */
      embedded,
    })
    .prefault({});
}

/** The store section of the roles that answer queries. */
export const storeConfig = storeSection(embeddedEngineConfig);

/**
 * `llmp start`: every component in one process. `configSchema.parse({})` of each component gives
 * its defaults, so an empty file (or none) is a working configuration.
 */
export const allInOneConfig = z.object({
  /** Where the embedded store keeps its data; --data-dir and LLMP_DATA_DIR override it. */
  dataDir: z.string().optional(),
  clickhouse: storeConfig,
  /** API keys (sha256 hashes); LLMP_API_KEYS adds more. None → auth off, project `default`. */
  auth: apiKeysConfig.prefault({}),
  receivers: z.object({ otlp: otlpReceiverConfig.prefault({}) }).prefault({}),
  processors: z
    .object({
      batch: batchProcessorConfig.prefault({}),
      genai: genAiProcessorConfig.prefault({}),
      jobs: jobLinkerConfig.prefault({}),
    })
    .prefault({}),
  exporters: z
    .object({
      clickhouse: clickhouseExporterConfig.prefault({}),
      /** Off unless configured: uploads every stored trace to an MLflow tracking server. */
      mlflow: mlflowExporterConfig.optional(),
    })
    .prefault({}),
  query: z
    .object({
      endpoint: endpoint('0.0.0.0:8080'),
    })
    .prefault({}),
});

export type AllInOneConfig = z.infer<typeof allInOneConfig>;
