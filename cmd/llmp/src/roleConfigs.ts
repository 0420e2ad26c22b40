import { apiKeysConfig } from '@llmp/auth';
import { type ClickHouseExporterConfig, ingesterEmbeddedEngineConfig } from '@llmp/clickhouse/components';
import type { MlflowExporterConfig } from '@llmp/exporter-mlflow/components';
import type { GenAiProcessorConfig } from '@llmp/genai/components';
import type { JobLinkerConfig } from '@llmp/jobs/components';
import {
  type KafkaExporterConfig,
  type KafkaReceiverConfig,
  kafkaAuthConfig,
  kafkaTlsConfig,
} from '@llmp/kafka/components';
import { endpoint, tlsServerConfig } from '@llmp/pipeline';
import type { OtlpReceiverConfig } from '@llmp/receiver-otlp/components';
import { z } from 'zod';
import { storeConfig, storeSection } from './allInOneConfig.ts';
import { logs, metrics, section, serviceSection, traces, withPipelines } from './roleSections.ts';

/** The Kafka cluster every distributed role talks to. */
const kafkaCluster = z.object({
  /** Comma-separated `host:port` list (the presets read KAFKA_BROKERS). */
  brokers: z
    .union([z.string(), z.array(z.string())])
    .default('localhost:9092')
    .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((b) => b.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^[^:\s]+:\d+$/, 'must be host:port')).min(1, 'name at least one broker')),
  clientId: z.string().default('llmp'),
  /** The client library the producer uses (docs/benchmarks.md has the measurement). */
  producerClient: z.enum(['kafkajs', 'platformatic']).default('platformatic'),
  /**
   * Idempotent producers (each with its own broker connections) the platformatic client spreads
   * sends over: it keeps one produce request in flight per connection, where the Java client and
   * franz-go keep up to 5 (docs/benchmarks.md, gwlatency).
   */
  producerConnections: z.number().int().min(1).max(16).default(4),
  /** Topics llmp creates when missing: partitions (the unit of ingester parallelism)... */
  topicPartitions: z.number().int().positive().default(6),
  /** ...and replication factor (-1: the broker's default.replication.factor). */
  topicReplicationFactor: z.number().int().min(-1).default(-1),
  /** SASL login (`auth.sasl.{mechanism,username,password}`), as the Collector's Kafka client. */
  auth: kafkaAuthConfig,
  /** TLS to the brokers (`caFile`, `certFile`, `keyFile` …); absent: plaintext, `tls: {}`: TLS. */
  tls: kafkaTlsConfig.prefault({ enabled: false }),
});

export const kafkaConnection = kafkaCluster.prefault({});

/** Where job events are published (distributed roles with Kafka). */
export const jobEventsConfig = z.object({ topic: z.string().min(1).default('llmp_job_events') }).prefault({});

/**
 * The health, readiness and self-metrics listener of roles without the query API. Each role has
 * its own default port, so the distributed presets run side by side on one host.
 */
export const telemetrySection = (defaultEndpoint: string) =>
  z.object({ endpoint: endpoint(defaultEndpoint) }).prefault({});

/** Default telemetry listeners: gateway 13133 (the Collector's health port), ingester 13134, mlflow-exporter 13135. */
export const telemetryEndpoints = {
  gateway: '0.0.0.0:13133',
  ingester: '0.0.0.0:13134',
  mlflowExporter: '0.0.0.0:13135',
} as const;

/** `llmp gateway`: OTLP receivers → Kafka (spans, log records and metric data points). Stateless; scale it out behind a load balancer. */
export const gatewayConfig = z
  .object({
    kafka: kafkaConnection,
    auth: apiKeysConfig.prefault({}),
    telemetry: telemetrySection(telemetryEndpoints.gateway),
    receivers: section<{ otlp: OtlpReceiverConfig }>('receivers', { otlp: {} }),
    processors: section<object>('processors'),
    exporters: section<{ kafka: KafkaExporterConfig }>('exporters', { kafka: {} }),
    service: serviceSection,
  })
  // Log records (GenAI events among them) to otlp_logs, data points to otlp_metrics, beside the
  // spans (README, Signals).
  .transform(
    withPipelines(() => ({
      ...traces(['otlp'], [], ['kafka']),
      ...logs(['otlp'], ['kafka']),
      ...metrics(['otlp'], ['kafka']),
    })),
  );

/** `llmp ingester`: Kafka → ClickHouse (spans, log records and metric data points); with `--with-api` it also serves the query API. */
export const ingesterConfig = z
  .object({
    dataDir: z.string().optional(),
    kafka: kafkaConnection,
    clickhouse: storeSection(ingesterEmbeddedEngineConfig),
    auth: apiKeysConfig.prefault({}),
    telemetry: telemetrySection(telemetryEndpoints.ingester),
    receivers: section<{ kafka: KafkaReceiverConfig }>('receivers', { kafka: {} }),
    processors: section<{ genai: GenAiProcessorConfig; jobs: JobLinkerConfig }>('processors', {
      genai: {},
      jobs: {},
    }),
    /** `mlflow`, with --with-api: where DELETE /v1/traces/{id} also deletes (uploads are llmp mlflow-exporter's). */
    exporters: section<{ clickhouse: ClickHouseExporterConfig; mlflow?: MlflowExporterConfig }>('exporters', {
      clickhouse: {},
    }),
    query: z.object({ endpoint: endpoint('0.0.0.0:8080'), tls: tlsServerConfig }).prefault({}),
    jobEvents: jobEventsConfig,
    service: serviceSection,
  })
  // otlp_logs → otel_logs and otlp_metrics → otel_metrics_* beside the spans, each topic in a
  // consumer group of its own (README, Signals).
  .transform(
    withPipelines(() => ({
      ...traces(['kafka'], ['genai', 'jobs'], ['clickhouse']),
      ...logs(['kafka'], ['clickhouse']),
      ...metrics(['kafka'], ['clickhouse']),
    })),
  );

/** The mlflow-exporter role's `kafka` receiver: its own groups and dead-letter topics, moderate requests. */
const mlflowKafkaReceiverPreset = {
  groupId: 'llmp-mlflow',
  deadLetterTopic: 'otlp_spans_mlflow_dlq',
  // GenAI event records (their text joins the spans, whichever is read first): group llmp-mlflow-logs.
  logs: { topic: 'otlp_logs', deadLetterTopic: 'otlp_logs_mlflow_dlq' },
  // MLflow stores one request in one transaction: keep requests moderate.
  maxBatchSpans: 500,
  maxBatchBytes: 4 * 1024 ** 2,
  // Uploads wait on MLflow, not on this process's cores: two partitions at a time.
  partitionsAtOnce: 2,
};

/**
 * `llmp mlflow-exporter`: its own consumer groups on `otlp_spans` and `otlp_logs`, so MLflow
 * lagging or failing never touches the ClickHouse ingester; offsets are committed once MLflow
 * accepted. The logs pipeline brings GenAI event records: their text reaches MLflow whichever
 * of span and records the role reads first.
 */
export const mlflowExporterRoleConfig = z
  .object({
    kafka: kafkaConnection,
    /**
     * A ClickHouse server (url) shared with the other roles: sync states go to its `mlflow_sync`
     * (read by `/sync` of llmp query) and job names come from its jobs table. Without a url this
     * role keeps no states: an embedded store belongs to another process.
     */
    clickhouse: storeConfig,
    telemetry: telemetrySection(telemetryEndpoints.mlflowExporter),
    receivers: section<{ kafka: KafkaReceiverConfig }>('receivers', { kafka: mlflowKafkaReceiverPreset }),
    /** `genai`: the span types (mlflow.spanType) the exporter sets come from its normalisation. */
    processors: section<{ genai: GenAiProcessorConfig }>('processors', { genai: {} }),
    exporters: section<{ mlflow: MlflowExporterConfig }>('exporters'),
    service: serviceSection,
  })
  .transform(
    withPipelines(() => ({ ...traces(['kafka'], ['genai'], ['mlflow']), ...logs(['kafka'], ['mlflow']) })),
  );

/** `llmp query`: the query API over ClickHouse; with a `kafka` section it publishes job events. */
export const queryConfig = z
  .object({
    dataDir: z.string().optional(),
    clickhouse: storeConfig,
    auth: apiKeysConfig.prefault({}),
    receivers: section<object>('receivers'),
    processors: section<object>('processors'),
    /** `mlflow`: where DELETE /v1/traces/{id} also deletes the trace (uploads are llmp mlflow-exporter's). */
    exporters: section<{ mlflow?: MlflowExporterConfig }>('exporters'),
    query: z.object({ endpoint: endpoint('0.0.0.0:8080'), tls: tlsServerConfig }).prefault({}),
    // No defaults here: without a kafka section, `llmp query` does not talk to Kafka at all.
    kafka: kafkaCluster.optional(),
    jobEvents: jobEventsConfig,
    service: serviceSection,
  })
  // The query API is a host service, not a pipeline: no pipelines unless the file names some.
  .transform(withPipelines(() => ({})));

export type GatewayConfig = z.infer<typeof gatewayConfig>;
export type IngesterConfig = z.infer<typeof ingesterConfig>;
export type QueryConfig = z.infer<typeof queryConfig>;
export type MlflowExporterRoleConfig = z.infer<typeof mlflowExporterRoleConfig>;

/** `llmp migrate`: the store sections of whichever role's file it is given; other keys pass. */
export const migrateConfig = z.looseObject({ dataDir: z.string().optional(), clickhouse: storeConfig });
