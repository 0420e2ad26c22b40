import { Counter, metricSet } from '@llmp/pipeline';

/**
 * The MLflow sync's metrics: its state log's writes and its upload queue's overflow.
 * @example mlflowSyncMetrics(registry).mlflowUploadOverflow.inc({ fate: 'deferred' });
 */
export const mlflowSyncMetrics = metricSet((registers) => ({
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
  mlflowStoredTraceRefused: new Counter({
    name: 'llmp_mlflow_stored_traces_refused_total',
    help: 'Pending uploads marked failed because the store refused to read their trace whole (more spans than a whole-trace read holds)',
    registers,
  }),
  mlflowEventTextForgotten: new Counter({
    name: 'llmp_mlflow_event_text_forgotten_total',
    help: "Spans (held without text for GenAI event records to come) or spans' record messages (held for spans to come) forgotten at maxHeldSpans before their match came, by what was held: spans or records",
    labelNames: ['held'] as const,
    registers,
  }),
}));
