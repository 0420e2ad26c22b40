import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { processRegistry } from './processRegistry.ts';

const require = createRequire(import.meta.url);

describe('processRegistry', () => {
  it('serves the process CPU seconds, and prom-client loads no @opentelemetry/api for them (patched: ~9 MiB)', async () => {
    const registry = processRegistry();
    const started = process.cpuUsage();
    while (process.cpuUsage(started).user < 20_000) Math.sqrt(Math.random());
    const cpu = await registry.getSingleMetric('process_cpu_user_seconds_total')!.get();
    expect(cpu.values[0]!.value).toBeGreaterThan(0);
    expect(await registry.metrics()).toMatch(/^process_cpu_seconds_total \d/m);
    // The CommonJS cache of prom-client's own resolution of the package: empty unless it was loaded.
    const promClient = require.resolve('prom-client');
    const otelApi = createRequire(promClient).resolve('@opentelemetry/api');
    expect(require.cache[otelApi]).toBeUndefined();
  });
});
