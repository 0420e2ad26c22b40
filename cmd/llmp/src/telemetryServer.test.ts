import { createLogger, exporterMetrics, Registry } from '@llmp/pipeline';
import { afterEach, describe, expect, it } from 'vitest';
import { type TelemetryServer, telemetryServer } from './telemetryServer.ts';

let server: TelemetryServer | undefined;
afterEach(() => server?.shutdown());

describe('telemetryServer', () => {
  it('serves /healthz, /readyz from its dependency check, and the registry at /metrics', async () => {
    const registry = new Registry();
    exporterMetrics(registry).exporterSentSpans.inc({ exporter: 'kafka' }, 7);
    let dependencyUp = true;
    server = telemetryServer({
      endpoint: '127.0.0.1:0',
      registry,
      ready: async () => {
        if (!dependencyUp) throw new Error('broker down');
      },
      logger: createLogger({ level: 'silent' }),
    });
    await server.start();
    const get = (path: string) => fetch(`http://127.0.0.1:${server!.port()}${path}`);
    expect((await get('/healthz')).status).toBe(200);
    expect((await get('/readyz')).status).toBe(200);
    dependencyUp = false;
    const notReady = await get('/readyz');
    expect([notReady.status, await notReady.json()]).toEqual([
      503,
      { status: 'unavailable', reason: 'broker down' },
    ]);
    expect(await (await get('/metrics')).text()).toContain(
      'llmp_exporter_sent_spans_total{exporter="kafka"} 7',
    );
    expect((await get('/nope')).status).toBe(404);
  });

  it('is not ready while the dependency check hangs', async () => {
    server = telemetryServer({
      endpoint: '127.0.0.1:0',
      registry: new Registry(),
      ready: () => new Promise(() => {}),
      logger: createLogger({ level: 'silent' }),
    });
    await server.start();
    const started = Date.now();
    expect((await fetch(`http://127.0.0.1:${server.port()}/readyz`)).status).toBe(503);
    expect(Date.now() - started).toBeLessThan(4000);
  });
});
