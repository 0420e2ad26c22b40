// In-process A/B of the trace decode: protobufjs + conversion vs decodeWireRequest, µs CPU per span.
import { encodeRequests } from '@llmp/loadgen';
import { decodeProtobufjsRequest, decodeProtobufRequest } from '../../packages/otlp/src/decodeProtobuf.ts';
import { encodeProtobufRequest } from '../../packages/otlp/src/encodeProtobuf.ts';
import { testRequest, testSpan } from '../../packages/otlp/src/testing/traceFixtures.ts';

const loadgen = encodeRequests('grpc', { count: 200, tracesPerRequest: 20 }).map((r) => Buffer.from(r.body));
// telemetrygen-like: 512 small spans, 3 attributes each, one resource with service.name.
const small = Array.from({ length: 20 }, (_, r) =>
  Buffer.from(
    encodeProtobufRequest(
      testRequest(
        Array.from({ length: 512 }, (_, i) =>
          testSpan({
            traceId: (r * 1000 + Math.floor(i / 2) + 1).toString(16).padStart(32, '0'),
            spanId: (i + 1).toString(16).padStart(16, '0'),
            parentSpanId: i % 2 ? i.toString(16).padStart(16, '0') : '',
            name: i % 2 ? 'okey-dokey-0' : 'lets-go',
            kind: i % 2 ? 3 : 2,
            attributes: [
              { key: 'net.peer.ip', value: { type: 'string', value: '1.2.3.4' } },
              { key: 'peer.service', value: { type: 'string', value: 'telemetrygen-server' } },
              { key: 'span.kind', value: { type: 'string', value: i % 2 ? 'client' : 'server' } },
            ],
          }),
        ),
        { resource: [{ key: 'service.name', value: { type: 'string', value: 'telemetrygen' } }] },
      ),
    ),
  ),
);
const spansOf = (bodies: Buffer[]) =>
  bodies.reduce(
    (n, b) =>
      n +
      decodeProtobufjsRequest(b).resourceSpans.reduce(
        (m, rs) => m + rs.scopeSpans.reduce((k, ss) => k + ss.spans.length, 0),
        0,
      ),
    0,
  );
const cpu = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
for (const [name, bodies] of [
  ['loadgen', loadgen],
  ['small', small],
] as const) {
  const spans = spansOf(bodies);
  const res: Record<string, number[]> = { protobufjs: [], wire: [] };
  for (let round = 0; round < 12; round++) {
    for (const [k, f] of [
      ['protobufjs', decodeProtobufjsRequest],
      ['wire', decodeProtobufRequest],
    ] as const) {
      const t = cpu();
      for (let rep = 0; rep < 3; rep++) for (const b of bodies) f(b);
      if (round >= 2) res[k]!.push((cpu() - t) / spans / 3);
    }
  }
  const med = (a: number[]) => a.sort((x, y) => x - y)[a.length >> 1]!.toFixed(2);
  console.log(
    name,
    'spans',
    spans,
    'protobufjs µs/span',
    med(res.protobufjs!),
    'wire µs/span',
    med(res.wire!),
  );
}
