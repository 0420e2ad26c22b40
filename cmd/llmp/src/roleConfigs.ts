import { apiKeysConfig } from '@llmp/auth';
import { clickhouseExporterConfig } from '@llmp/clickhouse';
import { genAiProcessorConfig } from '@llmp/genai';
import { jobLinkerConfig } from '@llmp/jobs';
import { kafkaExporterConfig, kafkaReceiverConfig } from '@llmp/kafka';
import { endpoint } from '@llmp/pipeline';
import { otlpReceiverConfig } from '@llmp/receiver-otlp';
import { z } from 'zod';
import { storeConfig } from './allInOneConfig.ts';

/** The Kafka cluster every distributed role talks to. */
const kafkaCluster = z.object({
  /** Comma-separated `host:port` list (the presets read KAFKA_BROKERS). */
  brokers: z
    .union([z.string(), z.array(z.string())])
    .default('localhost:9092')
    .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((b) => b.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^[^:\s]+:\d+$/, 'must be host:port')).min(1, 'name at least one broker')),
  clientId: z.string().default('llmp'),
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
  clickhouse: storeConfig,
  auth: apiKeysConfig.prefault({}),
  telemetry: telemetryConfig,
  receivers: z.object({ kafka: kafkaReceiverConfig.prefault({}) }).prefault({}),
  processors: z
    .object({ genai: genAiProcessorConfig.prefault({}), jobs: jobLinkerConfig.prefault({}) })
    .prefault({}),
  exporters: z.object({ clickhouse: clickhouseExporterConfig.prefault({}) }).prefault({}),
  query: z.object({ endpoint: endpoint('0.0.0.0:8080') }).prefault({}),
  jobEvents: jobEventsConfig,
});

/** `llmp query`: the query API over ClickHouse; with a `kafka` section it publishes job events. */
export const queryConfig = z.object({
  dataDir: z.string().optional(),
  clickhouse: storeConfig,
  auth: apiKeysConfig.prefault({}),
  query: z.object({ endpoint: endpoint('0.0.0.0:8080') }).prefault({}),
  // No defaults here: without a kafka section, `llmp query` does not talk to Kafka at all.
  kafka: kafkaCluster.optional(),
  jobEvents: jobEventsConfig,
});

export type GatewayConfig = z.infer<typeof gatewayConfig>;
export type IngesterConfig = z.infer<typeof ingesterConfig>;
export type QueryConfig = z.infer<typeof queryConfig>;
