// llmp start's Node path for telemetrygen-like requests, in process: screen → batch merge (decode) → genai → jobs → RowBinary.

import { payloadBuffers, spanRowBinary } from '@llmp/clickhouse';
import { genAiProcessorFactory } from '@llmp/genai';
import { jobLinkerConfig, jobLinkerFactory } from '@llmp/jobs';
import {
  encodeProtobufRequest,
  genAiOf,
  screenProtobufRequest,
  type TraceBatch,
  traceBatch,
} from '@llmp/otlp';
import { testRequest, testSpan } from '@llmp/otlp/testing';
import { createLogger } from '@llmp/pipeline';

const requests = Array.from({ length: 8 }, (_, r) =>
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
const settings = (id: string) => ({ id, logger: createLogger({ level: 'warn' }) });
let last: TraceBatch | undefined;
const linker = jobLinkerFactory({ discover: async () => new Map() }).create(
  settings('jobs'),
  jobLinkerConfig.parse({}),
  {
    consume: async (b) => {
      last = b;
    },
  },
);
const genai = genAiProcessorFactory.create(
  settings('genai'),
  genAiProcessorFactory.configSchema.parse({}),
  linker,
);
const buffers = payloadBuffers();
const cpu = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
const res: number[] = [];
for (let round = 0; round < Number(process.env.ROUNDS ?? 30); round++) {
  const t = cpu();
  for (let rep = 0; rep < 5; rep++) {
    const batches = requests.map((body) =>
      traceBatch({ projectId: 'default', wire: screenProtobufRequest(body).accepted }),
    );
    const merged = traceBatch({
      projectId: 'default',
      request: { resourceSpans: batches.flatMap((b) => b.request().resourceSpans) },
      spanCount: 4096,
    });
    await genai.consume(merged);
    const p = spanRowBinary('default', last!.request(), (s) => genAiOf(last!, s), buffers.take(4096));
    buffers.give(p.buffer);
  }
  if (round >= 3) res.push((cpu() - t) / (5 * 4096));
}
res.sort((a, b) => a - b);
console.log('µs CPU per small span (median):', res[res.length >> 1]!.toFixed(2));
