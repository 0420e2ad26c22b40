import { randomBytes } from 'node:crypto';

/**
 * A small OTLP/JSON ExportTraceServiceRequest body, written the way the OTLP/JSON spec allows
 * (hex ids, int64 as strings), for tests that post with fetch.
 * @example const { body, traceId } = otlpJsonTrace({ spans: 3 });
 */
export function otlpJsonTrace({
  spans = 1,
  service = 'json-client',
  traceId = randomBytes(16).toString('hex'),
} = {}) {
  const start = BigInt(Date.now()) * 1_000_000n;
  const list = Array.from({ length: spans }, (_, i) => ({
    traceId,
    spanId: randomBytes(8).toString('hex'),
    name: `step ${i}`,
    kind: 1,
    startTimeUnixNano: (start + BigInt(i) * 1000n).toString(),
    endTimeUnixNano: (start + BigInt(i) * 1000n + 500n).toString(),
    attributes: [{ key: 'step', value: { intValue: String(i) } }],
  }));
  const body = JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeSpans: [{ scope: { name: 'otlp-json' }, spans: list }],
      },
    ],
  });
  return { body, traceId, spanIds: list.map((s) => s.spanId) };
}

/** Posts an OTLP/JSON body to a receiver's /v1/traces. */
export function postJson(httpPort: number, body: string): Promise<Response> {
  return fetch(`http://127.0.0.1:${httpPort}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
}
