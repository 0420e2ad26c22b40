import { gunzipSync } from 'node:zlib';
import type { StoredSpan } from '@llmp/clickhouse';
import { describe, expect, it } from 'vitest';
import { queryApp } from './queryApp.ts';

const traceId = 'cccccccccccccccccccccccccccccccc';
// A trace of 2,000 spans answers ~200 kB of JSON: what the UI reads for a large trace.
const spans = Array.from(
  { length: 2000 },
  (_, i) =>
    ({
      spanId: i.toString(16).padStart(16, '0'),
      name: `call ${i}`,
      attributes: { step: i },
    }) as unknown as StoredSpan,
);
const app = queryApp({ source: { readTrace: async () => spans, ping: async () => {} } });

describe('query API response compression', () => {
  it('gzips a large JSON answer for a client that accepts gzip', async () => {
    const response = await app.request(`/v1/traces/${traceId}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-encoding')).toBe('gzip');
    expect(response.headers.get('vary')).toContain('Accept-Encoding');
    const zipped = Buffer.from(await response.arrayBuffer());
    const body = JSON.parse(gunzipSync(zipped).toString('utf8')) as { spans: unknown[] };
    expect(body.spans).toHaveLength(2000);
    expect(zipped.length).toBeLessThan(JSON.stringify({ traceId, spans }).length / 5);
  });

  it('answers plainly a client that does not ask for it', async () => {
    const plain = await app.request(`/v1/traces/${traceId}`);
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(((await plain.json()) as { spans: unknown[] }).spans).toHaveLength(2000);
  });
});
