// The payload bytes main and this checkout write for the same records: decode → genai → jobs → RowBinary.
import { createHash } from 'node:crypto';
import { encodeRequests } from '@llmp/loadgen';
import type { Span, TraceBatch } from '@llmp/otlp';
import { createLogger } from '@llmp/pipeline';

/** The checkout to compare with (its node_modules installed). */
const baseline = process.env.BASELINE ?? '/work/main';

async function payloads(root: string, bodies: Uint8Array[]) {
  const otlp = await import(`${root}/packages/otlp/src/index.ts`);
  const genai = await import(`${root}/packages/genai/src/index.ts`);
  const jobs = await import(`${root}/packages/jobs/src/index.ts`);
  const ch = await import(`${root}/packages/clickhouse/src/index.ts`);
  const settings = (id: string) => ({ id, logger: createLogger({ level: 'warn' }) });
  let last: TraceBatch | undefined;
  const keep = {
    consume: async (b: TraceBatch) => {
      last = b;
    },
  };
  const linker = jobs
    .jobLinkerFactory({ discover: async () => new Map() })
    .create(settings('jobs'), jobs.jobLinkerConfig.parse({}), keep);
  const g = genai.genAiProcessorFactory.create(
    settings('genai'),
    genai.genAiProcessorFactory.configSchema.parse({}),
    linker,
  );
  const hash = createHash('sha256');
  let bytes = 0;
  let rows = 0;
  for (const body of bodies) {
    const s = otlp.rejectInvalidSpans(otlp.decodeProtobufRequest(body));
    await g.consume(
      otlp.traceBatch({ projectId: 'default', request: s.accepted, spanCount: s.acceptedSpans }),
    );
    const batch = last!;
    const p = ch.spanRowBinary(batch.projectId, batch.request(), (span: Span) => otlp.genAiOf(batch, span));
    hash.update(p.bytes);
    bytes += p.bytes.length;
    rows += p.rows;
  }
  return { rows, bytes, sha256: hash.digest('hex').slice(0, 16) };
}
const loadgen = encodeRequests('grpc', { count: 300, tracesPerRequest: 20 }).map((r) => Buffer.from(r.body));
const withJobs = encodeRequests('grpc', { count: 100, tracesPerRequest: 20, seed: 7 } as never).map((r) =>
  Uint8Array.from(r.body),
);
const { encodeProtobufRequest } = await import('../../packages/otlp/src/encodeProtobuf.ts');
const { testRequest, testSpan } = await import('../../packages/otlp/src/testing/traceFixtures.ts');
const small = Array.from({ length: 8 }, (_, r) =>
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
              {
                key: i % 7 ? 'span.kind' : 'llmp.job.id',
                value: { type: 'string', value: i % 2 ? 'client' : 'server' },
              },
            ],
          }),
        ),
        { resource: [{ key: 'service.name', value: { type: 'string', value: 'telemetrygen' } }] },
      ),
    ),
  ),
);
for (const [name, set] of [
  ['loadgen (Buffer)', loadgen],
  ['loadgen (Uint8Array)', withJobs],
  ['small', small],
] as const) {
  console.log(
    name,
    'main',
    await payloads(baseline, set),
    'this',
    await payloads(new URL('../..', import.meta.url).pathname.replace(/\/$/, ''), set),
  );
}
