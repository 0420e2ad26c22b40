import { createGzip } from 'node:zlib';
import {
  countSpans,
  decodeJsonRequest,
  decodeProtobufRequest,
  encodeProtobufRequest,
  type TraceRequest,
} from '@llmp/otlp';
import { mutatedBytes as mutatedProtobuf } from '@llmp/otlp/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { otlpHttpApp } from './otlpHttpApp.ts';
import { memorySink, type RunningReceiver, requestOf, runReceiver, span } from './testing/receiverHarness.ts';

// Property tests: whatever bytes arrive, the receiver answers 2xx or 4xx (never 5xx, never a
// crash), and a request is stored whole or not at all: after a 200 the sink holds exactly the
// spans the request had minus those reported in partial_success; after a 4xx it holds nothing new.
// The oracle for "how many spans did this payload have" is the codec itself.

const seed = 20261123;
const base = requestOf(
  span('chat gpt-4o', 'eee19b7ec3c1b174'),
  span('tool', 'eee19b7ec3c1b175'),
  span('embed', 'eee19b7ec3c1b176'),
);
base.resourceSpans[0]!.scopeSpans[0]!.spans[1]!.events.push({
  timeUnixNano: 1700000000123456789n,
  name: 'e',
  attributes: [{ key: 'k', value: { type: 'double', value: 1.5 } }],
  droppedAttributesCount: 0,
});
const baseBytes = encodeProtobufRequest(base);

/** Flips, overwrites, inserts and deletes bytes, or truncates. */
const mutatedBytes = mutatedProtobuf(baseBytes);

function jsonOf(request: TraceRequest): unknown {
  return JSON.parse(
    JSON.stringify(
      {
        resourceSpans: request.resourceSpans.map((rs) => ({
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }] },
          scopeSpans: rs.scopeSpans.map((ss) => ({
            scope: { name: ss.scope?.name },
            spans: ss.spans.map((s) => ({
              traceId: s.traceId,
              spanId: s.spanId,
              name: s.name,
              kind: s.kind,
              startTimeUnixNano: String(s.startTimeUnixNano),
              endTimeUnixNano: String(s.endTimeUnixNano),
              attributes: [{ key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o' } }],
              status: { code: 0 },
            })),
          })),
        })),
      },
      (_k, v) => (typeof v === 'bigint' ? String(v) : v),
    ),
  );
}

/** Replaces a random node of a valid OTLP/JSON body with a random JSON value. */
const mutatedJson = fc
  .tuple(fc.array(fc.nat(), { minLength: 1, maxLength: 7 }), fc.jsonValue({ maxDepth: 3 }))
  .map(([path, value]) => {
    const doc = jsonOf(base) as Record<string, unknown>;
    let node: unknown = doc;
    let parent: Record<string, unknown> | unknown[] | undefined;
    let key: string | number | undefined;
    for (const step of path) {
      if (node === null || typeof node !== 'object') break;
      const keys = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node);
      if (keys.length === 0) break;
      parent = node as Record<string, unknown>;
      key = keys[step % keys.length]!;
      node = (node as Record<string | number, unknown>)[key];
    }
    if (parent && key !== undefined) (parent as Record<string | number, unknown>)[key] = value;
    return JSON.stringify(doc);
  });

/** What the codec says a payload holds: its span count, or undefined when it cannot be decoded. */
function spansIn(decode: () => TraceRequest): number | undefined {
  try {
    return countSpans(decode());
  } catch {
    return undefined;
  }
}

async function rejectedIn(res: Response, json: boolean): Promise<number> {
  if (json) {
    const body = (await res.json()) as { partialSuccess?: { rejectedSpans?: string } };
    return Number(body.partialSuccess?.rejectedSpans ?? 0);
  }
  const { decodeProtobufResponse } = await import('@llmp/otlp');
  return decodeProtobufResponse(new Uint8Array(await res.arrayBuffer())).rejectedSpans;
}

describe('OTLP/HTTP under mutated payloads', () => {
  const sink = memorySink();
  const app = otlpHttpApp({ next: sink, maxBodySize: 1 << 20 });
  app.onError(() => new Response('crash', { status: 500 }));

  async function check(body: Uint8Array | string, contentType: string, expected: number | undefined) {
    const before = sink.spans();
    const res = await app.request('/v1/traces', {
      method: 'POST',
      body,
      headers: { 'content-type': contentType },
    });
    expect(res.status === 200 || (res.status >= 400 && res.status < 500), `status ${res.status}`).toBe(true);
    const stored = sink.spans() - before;
    if (res.status !== 200) {
      expect(stored).toBe(0);
      return;
    }
    expect(expected, 'answered 200 for a payload the codec refuses').toBeDefined();
    expect(stored).toBe(expected! - (await rejectedIn(res, contentType === 'application/json')));
  }

  it('3000 mutated protobuf bodies', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedBytes, (bytes) =>
        check(
          bytes,
          'application/x-protobuf',
          spansIn(() => decodeProtobufRequest(bytes)),
        ),
      ),
      { numRuns: 3000, seed },
    );
  });

  it('2000 random byte strings as protobuf', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), (bytes) =>
        check(
          bytes,
          'application/x-protobuf',
          spansIn(() => decodeProtobufRequest(bytes)),
        ),
      ),
      { numRuns: 2000, seed },
    );
  });

  it('3000 mutated OTLP/JSON bodies', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedJson, (text) =>
        check(
          text,
          'application/json',
          spansIn(() => decodeJsonRequest(text)),
        ),
      ),
      { numRuns: 3000, seed },
    );
  });

  it('2000 arbitrary JSON documents and strings', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.json({ maxDepth: 4 }), fc.string({ maxLength: 200 })), (text) =>
        check(
          text,
          'application/json',
          spansIn(() => decodeJsonRequest(text)),
        ),
      ),
      { numRuns: 2000, seed },
    );
  });
});

describe('OTLP/gRPC under mutated payloads', () => {
  const sink = memorySink();
  let running: RunningReceiver;
  beforeAll(async () => {
    running = await runReceiver(sink);
  });
  afterAll(() => running?.close());

  it('1000 mutated protobuf messages over a real socket', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedBytes, async (bytes) => {
        const expected = spansIn(() => decodeProtobufRequest(bytes));
        const before = sink.spans();
        const answer = await running.grpcExport(bytes);
        const stored = sink.spans() - before;
        // OK (0) or INVALID_ARGUMENT (3) only: never INTERNAL or UNKNOWN.
        expect([0, 3]).toContain(answer.status);
        if (answer.status !== 0) {
          expect(stored).toBe(0);
          return;
        }
        expect(expected).toBeDefined();
        const { decodeProtobufResponse } = await import('@llmp/otlp');
        expect(stored).toBe(expected! - decodeProtobufResponse(answer.body as Uint8Array).rejectedSpans);
      }),
      { numRuns: 1000, seed },
    );
  });
});

describe('a decompression bomb', () => {
  let running: RunningReceiver;
  const sink = memorySink();
  beforeAll(async () => {
    running = await runReceiver(sink);
  });
  afterAll(() => running?.close());

  it('is refused with 413 quickly, without inflating it whole (512 MiB of zeros in ~500 KiB of gzip)', async () => {
    // Built by streaming, so the test itself never holds the 512 MiB either.
    const bomb = await new Promise<Buffer>((resolve, reject) => {
      const gzip = createGzip({ level: 9 });
      const parts: Buffer[] = [];
      gzip.on('data', (chunk: Buffer) => parts.push(chunk));
      gzip.on('end', () => resolve(Buffer.concat(parts)));
      gzip.on('error', reject);
      const zeros = Buffer.alloc(1 << 20);
      for (let i = 0; i < 512; i++) gzip.write(zeros);
      gzip.end();
    });
    expect(bomb.byteLength).toBeLessThan(1 << 20);
    globalThis.gc?.();
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    const port = running.receiver.ports().http;
    const res = await fetch(`http://127.0.0.1:${port}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' },
      body: bomb,
    });
    const elapsedMs = performance.now() - started;
    const rssGrowth = process.memoryUsage().rss - rssBefore;
    expect(res.status).toBe(413);
    expect(elapsedMs).toBeLessThan(2000);
    // The default limit is 20 MiB: inflating stops there; the whole bomb would be 512 MiB.
    expect(rssGrowth).toBeLessThan(128 * 1024 ** 2);
    expect(sink.spans()).toBe(0);
  });
});
