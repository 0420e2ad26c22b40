import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * The registry a role process serves on `/metrics`: the metrics its components declare (each
 * beside its component, see metricSet) and the process's (`process_cpu_seconds_total`,
 * `process_resident_memory_bytes`, `nodejs_heap_*`, `nodejs_gc_duration_seconds`,
 * `nodejs_eventloop_lag_*`), as a collector's own telemetry has. Never prom-client's global registry.
 * @example const registry = processRegistry();
 */
export function processRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}
