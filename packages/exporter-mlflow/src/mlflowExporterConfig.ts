import { duration, retryOnFailureConfig } from '@llmp/pipeline';
import { z } from 'zod';

const experimentName = z.string().min(1).max(500);

/**
 * `exporters.mlflow`: where traces go in MLflow and how hard to try. Disabled unless the block
 * is present (it has no default tracking URI).
 */
export const mlflowExporterConfig = z.object({
  /** The MLflow tracking server, e.g. `http://mlflow:5000` (traces go to `{trackingUri}/v1/traces`). */
  trackingUri: z.url().transform((u) => u.replace(/\/+$/, '')),
  /** Experiment names; created in MLflow when missing. A job mapping wins over a project mapping. */
  experiments: z
    .object({
      default: experimentName.default('llmp'),
      projects: z.record(z.string(), experimentName).default({}),
      jobs: z.record(z.string(), experimentName).default({}),
    })
    .prefault({}),
  /** Extra headers on every MLflow request, e.g. `authorization: "Bearer ${env:MLFLOW_TOKEN}"`. */
  headers: z.record(z.string(), z.string()).default({}),
  /**
   * The upload queue (the Collector's sending_queue), counted in traces. On, `consume` only
   * queues the batch's traces and returns, so MLflow being slow or down never holds ingestion
   * up; a trace finding it full waits in the store (sync state pending) and is uploaded from
   * there once it has room, or, without a store, is not uploaded (failed, counted as dropped).
   * Off, `consume` answers once MLflow accepted (a Kafka receiver commits only then). Unset:
   * on when the exporter follows `clickhouse` in its pipeline, off alone.
   */
  sendingQueue: z
    .object({
      enabled: z.boolean().optional(),
      queueSize: z.number().int().positive().default(10_000),
      /** MLflow requests in flight. */
      numConsumers: z.number().int().positive().max(64).default(4),
    })
    .prefault({}),
  /**
   * Spans a waiting upload gathers from later batches of its trace; past it the trace is left
   * to the store like a trace finding the queue full (the bound on the queue's memory).
   */
  maxSpansPerUpload: z.number().int().positive().default(1000),
  /** Waiting traces of one experiment sent together in one OTLP request (MLflow stores it all or nothing). */
  maxTracesPerRequest: z.number().int().positive().max(1000).default(100),
  /** Per-request timeout. */
  requestTimeout: duration(30_000),
  /**
   * Retries of a retryable failure (5xx, 429, network): exponential backoff with jitter, for at
   * most maxElapsedTime per upload, then the trace is marked failed. Deletions retry until done.
   * Without the queue an upload is not retried here: the failure is the answer, and the Kafka
   * receiver feeding the exporter retries (and reports a partition that stalls).
   */
  retryOnFailure: retryOnFailureConfig({
    enabled: true,
    initialInterval: 500,
    maxInterval: 30_000,
    maxElapsedTime: 24 * 3_600_000,
  }),
  /** How long shutdown waits for queued uploads before giving up on them. */
  drainTimeout: duration(10_000),
  /** Per-trace sync states kept for `GET /v1/traces/{id}/sync` (oldest forgotten first). */
  maxTrackedTraces: z.number().int().positive().default(100_000),
  /**
   * Without the queue (alone behind Kafka, reading otlp_spans and otlp_logs apart): spans sent
   * without text of their own are held for GenAI event records read later, and records' messages
   * for spans not read yet, each up to this many spans (oldest trace forgotten first, counted
   * in llmp_mlflow_event_text_forgotten_total), so the text reaches MLflow whichever comes first.
   */
  maxHeldSpans: z.number().int().positive().default(10_000),
});

export type MlflowExporterConfig = z.infer<typeof mlflowExporterConfig>;
