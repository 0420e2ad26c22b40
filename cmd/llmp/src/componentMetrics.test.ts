import { readFileSync } from 'node:fs';
import { Registry } from '@llmp/pipeline';
import { otlpReceiverMetrics } from '@llmp/receiver-otlp';
import { describe, expect, it } from 'vitest';
import { componentMetrics } from './components.ts';

// selfMetricsBefore.json is what the central packages/pipeline selfMetrics.ts declared on main
// (8751e7b), dumped from its registry before each component got its metrics beside it: the
// /metrics contract (names, types, help, labels, buckets) must not move with the code.
const before = JSON.parse(
  readFileSync(new URL('./selfMetricsBefore.json', import.meta.url), 'utf8'),
) as Array<{ name: string }>;

function described(registry: Registry) {
  return registry.getMetricsAsArray().map((metric) => {
    const m = metric as unknown as {
      name: string;
      type: string;
      help: string;
      labelNames: string[];
      upperBounds?: number[];
    };
    return {
      name: m.name,
      type: m.type,
      help: m.help,
      labelNames: m.labelNames,
      ...(m.upperBounds ? { buckets: m.upperBounds } : {}),
    };
  });
}

describe('component metrics', () => {
  it('componentMetrics declare, between them, exactly the metrics the central selfMetrics declared', () => {
    const registry = new Registry();
    for (const declare of componentMetrics) declare(registry);
    const byName = <T extends { name: string }>(list: T[]) =>
      [...list].sort((a, b) => a.name.localeCompare(b.name));
    expect(byName(described(registry))).toEqual(byName(before));
  });

  it('register once per registry, however many components ask', () => {
    const registry = new Registry();
    expect(otlpReceiverMetrics(registry)).toBe(otlpReceiverMetrics(registry));
    expect(otlpReceiverMetrics(new Registry())).not.toBe(otlpReceiverMetrics(registry));
    expect(registry.getMetricsAsArray()).toHaveLength(5);
  });
});
