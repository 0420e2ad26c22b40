import { apiKeysConfig } from '@llmp/auth';
import { clickhouseExporterConfig, ingesterEmbeddedEngineConfig } from '@llmp/clickhouse';
import { mlflowExporterConfig } from '@llmp/exporter-mlflow';
import { genAiProcessorConfig } from '@llmp/genai';
import { jobLinkerConfig } from '@llmp/jobs';
import { kafkaExporterConfig, kafkaReceiverConfig } from '@llmp/kafka';
import { endpoint } from '@llmp/pipeline';
import { otlpReceiverConfig } from '@llmp/receiver-otlp';
import { z } from 'zod';
import { storeConfig, storeSection } from './allInOneConfig.ts';

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
  /** Topics llmp creates when missing: partitions (the unit of ingester parallelism)... */
  topicPartitions: z.number().int().positive().default(6),
  /** ...and replication factor (-1: the broker's default.replication.factor). */
  topicReplicationFactor: z.number().int().min(-1).default(-1),
});

export const kafkaConnection = kafkaCluster.prefault({});

/** Where job events are published (distributed roles with Kafka). */
export const jobEventsConfig = z.object({ topic: z.string().min(1).default('llmp_job_events') }).prefault({});

/** The health and self-metrics listener of roles without the query API. */
export const telemetryConfig = z.object({ endpoint: endpoint('0.0.0.0:13133') }).prefault({});

/** `llmp gateway`: OTLP receivers → Kafka. Stateless; scale it out behind a load balancer. */
export const gatewayConfig = z.object({
  kafka: kafkaConnection,
  auth: apiKeysConfig.prefault({}),
  telemetry: telemetryConfig,
  receivers: z.object({ otlp: otlpReceiverConfig.prefault({}) }).prefault({}),
  exporters: z.object({ kafka: kafkaExporterConfig.prefault({}) }).prefault({}),
});

/** `llmp ingester`: Kafka → ClickHouse; with `--with-api` it also serves the query API. */
export const ingesterConfig = z.object({
  dataDir: z.string().optional(),
  kafka: kafkaConnection,
  clickhouse: storeSection(ingesterEmbeddedEngineConfig),
  auth: apiKeysConfig.prefault({}),
  telemetry: telemetryConfig,
  receivers: z.object({ kafka: kafkaReceiverConfig.prefault({}) }).prefault({}),
  processors: z
    .object({ genai: genAiProcessorConfig.prefault({}), jobs: jobLinkerConfig.prefault({}) })
    .prefault({}),
  exporters: z
    .object({
      clickhouse: clickhouseExporterConfig.prefault({}),
      /** With --with-api: where DELETE /v1/traces/{id} also deletes (uploads are llmp mlflow-exporter's). */
      mlflow: mlflowExporterConfig.optional(),
    })
    .prefault({}),
  query: z.object({ endpoint: endpoint('0.0.0.0:8080') }).prefault({}),
  jobEvents: jobEventsConfig,
});

/**
 * `llmp mlflow-exporter`: its own consumer group on `otlp_spans`, so MLflow lagging or failing
 * never touches the ClickHouse ingester; offsets are committed once MLflow accepted.
 */
export const mlflowExporterRoleConfig = z.object({
  kafka: kafkaConnection,
  /**
   * A ClickHouse server (url) shared with the other roles: sync states go to its `mlflow_sync`
   * (read by `/sync` of llmp query) and job names come from its jobs table. Without a url this
   * role keeps no states: an embedded store belongs to another process.
   */
  clickhouse: storeConfig,
  receivers: z
    .object({
      kafka: kafkaReceiverConfig
        .extend({
          groupId: z.string().min(1).default('llmp-mlflow'),
          deadLetterTopic: z.string().min(1).default('otlp_spans_mlflow_dlq'),
          // MLflow stores one request in one transaction: keep requests moderate.
          maxBatchSpans: z.number().int().positive().default(500),
          maxBatchBytes: z
            .number()
            .int()
            .positive()
            .default(4 * 1024 ** 2),
          // Uploads wait on MLflow, not on this process's cores: two partitions at a time.
          partitionsAtOnce: z.number().int().min(1).max(64).default(2),
        })
        .prefault({}),
    })
    .prefault({}),
  exporters: z.object({ mlflow: mlflowExporterConfig }),
});

/** `llmp query`: the query API over ClickHouse; with a `kafka` section it publishes job events. */
export const queryConfig = z.object({
  dataDir: z.string().optional(),
  clickhouse: storeConfig,
  auth: apiKeysConfig.prefault({}),
  /** Where DELETE /v1/traces/{id} also deletes the trace (uploads are llmp mlflow-exporter's). */
  exporters: z.object({ mlflow: mlflowExporterConfig.optional() }).prefault({}),
  query: z.object({ endpoint: endpoint('0.0.0.0:8080') }).prefault({}),
  // No defaults here: without a kafka section, `llmp query` does not talk to Kafka at all.
  kafka: kafkaCluster.optional(),
  jobEvents: jobEventsConfig,
});

export type GatewayConfig = z.infer<typeof gatewayConfig>;
export type IngesterConfig = z.infer<typeof ingesterConfig>;
export type QueryConfig = z.infer<typeof queryConfig>;
export type MlflowExporterRoleConfig = z.infer<typeof mlflowExporterRoleConfig>;

/** `llmp migrate`: the store sections of whichever role's file it is given; other keys pass. */
export const migrateConfig = z.looseObject({ dataDir: z.string().optional(), clickhouse: storeConfig });
