import {
  countDataPoints,
  decodeJsonMetricsRequest,
  decodeProtobufMetricsRequest,
  type MetricBatch,
  type MetricsRequest,
  metricsProtoTypes,
} from '@llmp/otlp';
import { jsonMetricsFixture, mutatedBytes, protobufMetrics } from '@llmp/otlp/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { otlpHttpApp } from './otlpHttpApp.ts';

// Property tests as for traces (otlpFuzz.test.ts): whatever a metrics body holds, the receiver
// answers 200 or 4xx, never 5xx nor a crash, and a request is handed on whole or not at all:
// after a 200 the sink holds the points the codec finds minus those reported rejected.

const seed = 20261205;
const fixture = jsonMetricsFixture({ points: 2 });
const baseBytes = protobufMetrics(fixture);

const mutatedJson = fc
  .tuple(fc.array(fc.nat(), { minLength: 1, maxLength: 9 }), fc.jsonValue({ maxDepth: 3 }))
  .map(([path, value]) => {
    const doc = structuredClone(fixture) as unknown as Record<string, unknown>;
    let node: unknown = doc;
    let parent: Record<string | number, unknown> | undefined;
    let key: string | number | undefined;
    for (const step of path) {
      if (node === null || typeof node !== 'object') break;
      const keys = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node);
      if (keys.length === 0) break;
      parent = node as Record<string | number, unknown>;
      key = keys[step % keys.length]!;
      node = parent[key];
    }
    if (parent && key !== undefined) parent[key] = value;
    return JSON.stringify(doc);
  });

function pointsIn(decode: () => MetricsRequest): number | undefined {
  try {
    return countDataPoints(decode());
  } catch {
    return undefined;
  }
}

async function rejectedIn(res: Response, json: boolean): Promise<number> {
  if (json) {
    const body = (await res.json()) as { partialSuccess?: { rejectedDataPoints?: string } };
    return Number(body.partialSuccess?.rejectedDataPoints ?? 0);
  }
  const { response } = metricsProtoTypes();
  const decoded = response.toObject(response.decode(new Uint8Array(await res.arrayBuffer())), {
    longs: Number,
  }) as { partialSuccess?: { rejectedDataPoints?: number } };
  return decoded.partialSuccess?.rejectedDataPoints ?? 0;
}

describe('OTLP/HTTP /v1/metrics under mutated payloads', () => {
  let stored = 0;
  const app = otlpHttpApp({
    metrics: {
      async consume(batch: MetricBatch) {
        // What reaches the pipeline is what it says it is.
        expect(countDataPoints(batch.request)).toBe(batch.dataPointCount);
        stored += batch.dataPointCount;
      },
    },
    maxBodySize: 1 << 20,
  });
  app.onError(() => new Response('crash', { status: 500 }));

  async function check(body: Uint8Array | string, contentType: string, expected: number | undefined) {
    const before = stored;
    const res = await app.request('/v1/metrics', {
      method: 'POST',
      body,
      headers: { 'content-type': contentType },
    });
    expect(res.status === 200 || (res.status >= 400 && res.status < 500), `status ${res.status}`).toBe(true);
    if (res.status !== 200) {
      expect(stored - before).toBe(0);
      return;
    }
    expect(expected, 'answered 200 for a payload the codec refuses').toBeDefined();
    expect(stored - before).toBe(expected! - (await rejectedIn(res, contentType === 'application/json')));
  }

  it('2000 mutated protobuf bodies', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedBytes(baseBytes), (bytes) =>
        check(
          bytes,
          'application/x-protobuf',
          pointsIn(() => decodeProtobufMetricsRequest(bytes)),
        ),
      ),
      { numRuns: 2000, seed },
    );
  });

  it('2000 OTLP/JSON bodies with one node replaced by a random value', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedJson, (text) =>
        check(
          text,
          'application/json',
          pointsIn(() => decodeJsonMetricsRequest(text)),
        ),
      ),
      { numRuns: 2000, seed },
    );
  });
});
