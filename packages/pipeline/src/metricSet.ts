import { Registry } from 'prom-client';

/**
 * Declares a component's own metrics beside it: `declare` runs once per registry (prom-client
 * refuses a name registered twice), so every instance of the component shares the same series.
 * Without a registry a private one is used, so a component works in unit tests.
 * @example export const batchMetrics = metricSet((registers) => ({ batchSize: new Histogram({ name: 'llmp_processor_batch_size_spans', help: '…', registers }) }));
 */
export function metricSet<M>(declare: (registers: Registry[]) => M): (registry?: Registry) => M {
  const byRegistry = new WeakMap<Registry, M>();
  return (registry = new Registry()) => {
    let metrics = byRegistry.get(registry);
    if (!metrics) {
      metrics = declare([registry]);
      byRegistry.set(registry, metrics);
    }
    return metrics;
  };
}
