import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

function build(registry: Registry) {
  const registers = [registry];
  return {
    registry,
    receiverAcceptedSpans: new Counter({
      name: 'llmp_receiver_accepted_spans_total',
      help: 'Spans a receiver handed on to its pipeline',
      labelNames: ['receiver', 'transport'] as const,
      registers,
    }),
    receiverRefusedSpans: new Counter({
      name: 'llmp_receiver_refused_spans_total',
      help: 'Spans a receiver refused (invalid, or the pipeline said no), by reason',
      labelNames: ['receiver', 'transport', 'reason'] as const,
      registers,
    }),
    receiverRefusedRequests: new Counter({
      name: 'llmp_receiver_refused_requests_total',
      help: 'Requests refused before their spans were counted (malformed, too large, overload, auth), by reason',
      labelNames: ['receiver', 'transport', 'reason'] as const,
      registers,
    }),
    receiverInFlightRequests: new Gauge({
      name: 'llmp_receiver_in_flight_requests',
      help: 'Requests a receiver is working on',
      labelNames: ['receiver'] as const,
      registers,
    }),
    receiverInFlightBytes: new Gauge({
      name: 'llmp_receiver_in_flight_bytes',
      help: 'Body bytes (compressed and inflated) held by requests in flight',
      labelNames: ['receiver'] as const,
      registers,
    }),
    exporterSentSpans: new Counter({
      name: 'llmp_exporter_sent_spans_total',
      help: 'Spans an exporter stored or published',
      labelNames: ['exporter'] as const,
      registers,
    }),
    exporterFailedSpans: new Counter({
      name: 'llmp_exporter_send_failed_spans_total',
      help: 'Spans an exporter failed to store or publish, by error kind',
      labelNames: ['exporter', 'kind'] as const,
      registers,
    }),
    batchSize: new Histogram({
      name: 'llmp_processor_batch_size_spans',
      help: 'Spans per batch sent on by the batch processor',
      labelNames: ['processor'] as const,
      buckets: [1, 10, 100, 500, 1000, 2000, 4096, 8192, 16384, 65536],
      registers,
    }),
    pendingSpans: new Gauge({
      name: 'llmp_processor_pending_spans',
      help: 'Spans held or being exported by the batch processor (queue fill)',
      labelNames: ['processor'] as const,
      registers,
    }),
    ingesterLag: new Gauge({
      name: 'llmp_ingester_lag_records',
      help: 'Records of a partition not yet stored and committed, as of the last fetch (high watermark - committed offset)',
      labelNames: ['topic', 'partition'] as const,
      registers,
    }),
    ingesterDeadLettered: new Counter({
      name: 'llmp_ingester_dead_lettered_records_total',
      help: 'Records the ingester sent to the dead-letter topic, by reason: unreadable_batch (the client could not decompress it), undecodable (not OTLP), invalid_spans, store_refused',
      labelNames: ['topic', 'reason'] as const,
      registers,
    }),
    ingesterUnreadableRecords: new Counter({
      name: 'llmp_ingester_unreadable_records_total',
      help: 'Records in batches the Kafka client could not decompress (each batch goes to the dead-letter topic once, with its compressed bytes)',
      labelNames: ['topic'] as const,
      registers,
    }),
    mlflowSyncStateRows: new Counter({
      name: 'llmp_mlflow_sync_state_rows_total',
      help: 'MLflow sync state changes by the fate of their write to mlflow_sync: written, failed (kept and tried again), dropped (buffer full)',
      labelNames: ['result'] as const,
      registers,
    }),
    mlflowUploadOverflow: new Counter({
      name: 'llmp_mlflow_upload_overflow_traces_total',
      help: 'Traces that found the MLflow upload queue full (or their waiting upload at maxSpansPerUpload): deferred (pending, uploaded from the store once the queue has room) or dropped (failed: no store to upload from)',
      labelNames: ['fate'] as const,
      registers,
    }),
    validationScriptRuns: new Counter({
      name: 'llmp_jobs_validation_script_runs_total',
      help: "Runs of jobs' validation_script on linked outputs, by outcome: pass, fail, or why there was no verdict (compile, thrown, timeout, memory, result, disabled, sandbox)",
      labelNames: ['outcome'] as const,
      registers,
    }),
    pendingSpansCapacity: new Gauge({
      name: 'llmp_processor_pending_spans_capacity',
      help: 'The bound on llmp_processor_pending_spans (maxPendingSpans)',
      labelNames: ['processor'] as const,
      registers,
    }),
  };
}

export type SelfMetrics = ReturnType<typeof build>;

const byRegistry = new WeakMap<Registry, SelfMetrics>();

/**
 * The process's own metrics, registered once on the registry passed in (never prom-client's
 * global default registry). Without a registry a private one is used, so components work in tests.
 * @example const metrics = selfMetrics(settings.registry); metrics.exporterSentSpans.inc({ exporter: 'clickhouse' }, n);
 */
export function selfMetrics(registry: Registry = new Registry()): SelfMetrics {
  let metrics = byRegistry.get(registry);
  if (!metrics) {
    metrics = build(registry);
    byRegistry.set(registry, metrics);
  }
  return metrics;
}

/**
 * The registry a role process serves on `/metrics`: its own metrics (selfMetrics) and the
 * process's (`process_cpu_seconds_total`, `process_resident_memory_bytes`, `nodejs_heap_*`,
 * `nodejs_gc_duration_seconds`, `nodejs_eventloop_lag_*`), as a collector's own telemetry has.
 * @example const registry = processRegistry();
 */
export function processRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

export { Counter, Gauge, Registry };
