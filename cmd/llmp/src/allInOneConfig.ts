import { apiKeysConfig } from '@llmp/auth';
import type { ClickHouseExporterConfig } from '@llmp/clickhouse/components';
import {
  clickhouseTlsConfig,
  clusterName,
  embeddedEngineConfig,
  retentionConfig,
} from '@llmp/clickhouse/components';
import type { MlflowExporterConfig } from '@llmp/exporter-mlflow/components';
import type { GenAiProcessorConfig } from '@llmp/genai/components';
import type { JobLinkerConfig } from '@llmp/jobs/components';
import { endpoint, tlsServerConfig } from '@llmp/pipeline';
import type { BatchProcessorConfig } from '@llmp/processors';
import type { OtlpReceiverConfig } from '@llmp/receiver-otlp/components';
import { z } from 'zod';
import { section, serviceSection, traces, withPipelines } from './roleSections.ts';

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
      /** For an `https://` url: `caFile` of the server's CA, `certFile` + `keyFile` for a client certificate. */
      tls: clickhouseTlsConfig.optional(),
      /**
       * A cluster of the server (its `remote_servers` name): the schema is made ON CLUSTER with
       * replicated `<table>_local` tables behind Distributed `<table>` ones (README, ClickHouse cluster).
       */
      cluster: z.string().regex(clusterName, 'must be a ClickHouse cluster name').optional(),
      /**
       * Whether this role brings the schema up to date when it starts; false (`--no-migrate`):
       * it checks the schema's version and refuses to start when it is older than it needs.
       */
      migrate: z.boolean().default(true),
      /** How long each signal's rows stay (TTL), applied when the role migrates (README, Retention). */
      retention: retentionConfig,
      /** How the embedded engine starts: memory bound, allocator, server settings (no url only). */
      embedded,
    })
    .prefault({});
}

/** The store section of the roles that answer queries. */
export const storeConfig = storeSection(embeddedEngineConfig);

/**
 * `llmp start`: every component in one process. `configSchema.parse({})` of each component gives
 * its defaults, so an empty file (or none) is a working configuration. Without
 * `service.pipelines` the pipeline is otlp → batch → genai → jobs → clickhouse (and mlflow,
 * following clickhouse, when `exporters.mlflow` is configured), logs otlp → clickhouse (otel_logs)
 * and metrics otlp → clickhouse (otel_metrics_*).
 */
export const allInOneConfig = z
  .object({
    /** Where the embedded store keeps its data; --data-dir and LLMP_DATA_DIR override it. */
    dataDir: z.string().optional(),
    clickhouse: storeConfig,
    /** API keys (sha256 hashes); LLMP_API_KEYS adds more. None → auth off, project `default`. */
    auth: apiKeysConfig.prefault({}),
    receivers: section<{ otlp: OtlpReceiverConfig }>('receivers', { otlp: {} }),
    processors: section<{ batch: BatchProcessorConfig; genai: GenAiProcessorConfig; jobs: JobLinkerConfig }>(
      'processors',
      { batch: {}, genai: {}, jobs: {} },
    ),
    /** `mlflow` is off unless configured: it uploads every stored trace to an MLflow tracking server. */
    exporters: section<{ clickhouse: ClickHouseExporterConfig; mlflow?: MlflowExporterConfig }>('exporters', {
      clickhouse: {},
    }),
    query: z
      .object({
        endpoint: endpoint('0.0.0.0:8080'),
        /** HTTPS, and with clientCaFile client certificates (README, Security). */
        tls: tlsServerConfig,
      })
      .prefault({}),
    service: serviceSection,
  })
  .transform(
    withPipelines((config) => ({
      ...traces(
        ['otlp'],
        ['batch', 'genai', 'jobs'],
        ['clickhouse', ...(config.exporters.mlflow ? ['mlflow'] : [])],
      ),
      // OTLP log records (GenAI events among them) straight to otel_logs; mlflow, following
      // clickhouse, sends again the traces whose GenAI event records came after their spans.
      logs: {
        receivers: ['otlp'],
        processors: [],
        exporters: ['clickhouse', ...(config.exporters.mlflow ? ['mlflow'] : [])],
      },
      // OTLP metric data points straight to the otel_metrics_* tables.
      metrics: { receivers: ['otlp'], processors: [], exporters: ['clickhouse'] },
    })),
  );

export type AllInOneConfig = z.infer<typeof allInOneConfig>;
