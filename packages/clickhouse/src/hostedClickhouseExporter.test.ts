import type { ClickHouseClient } from '@clickhouse/client';
import { traceBatch } from '@llmp/otlp';
import { testRequest, testSpan } from '@llmp/otlp/testing';
import type { Component, Consumer } from '@llmp/pipeline';
import { nopHost, nopSettings } from '@llmp/pipeline/testing';
import { describe, expect, it } from 'vitest';
import type { ClickHouseStore } from './clickhouseStore.ts';
import { hostedClickhouseExporter, storeResource } from './hostedClickhouseExporter.ts';
import { storeWriteHealth } from './storeWriteHealth.ts';

/** The exporter as buildService makes it, on a store that is never queried (nothing is consumed). */
async function exporterOn(store: Partial<ClickHouseStore>) {
  const host = nopHost();
  host.provide(storeResource, {
    client: {} as ClickHouseClient,
    database: 'llmp',
    location: 'nowhere',
    writeHealth: storeWriteHealth(),
    close: async () => undefined,
    ...store,
  } as ClickHouseStore);
  const config = hostedClickhouseExporter.configSchema.parse({});
  const noNext = { consume: async () => undefined };
  return (await hostedClickhouseExporter.create(
    nopSettings('clickhouse', { host }),
    config,
    noNext,
  )) as Component & Consumer<unknown>;
}

describe('hostedClickhouseExporter', () => {
  it('lets a batch processor hand it span requests to prepare on the embedded store, not on a server', async () => {
    const embedded = await exporterOn({ embedded: true, scratchDir: '/nowhere' });
    expect(embedded.prepare).toBeTypeOf('function');
    expect(() =>
      embedded.prepare!(traceBatch({ projectId: 'p', request: testRequest([testSpan()]) })),
    ).not.toThrow();
    const server = await exporterOn({ embedded: false });
    expect(server.prepare).toBeUndefined();
  });
});
