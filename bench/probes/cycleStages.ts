// The Node work between two INSERTs of `llmp start` under 4 telemetrygen senders (issue 21 item 2,
// branch `idlecycle`): wall ms of each stage for one cycle's requests (`REQUESTS` of `SIZE`
// telemetrygen-shaped spans, received as protobuf and screened as the OTLP receiver does), done
// the way the default pipeline does it now (the batch closes, then decode of every request in the
// merge, genai, jobs, one RowBinary payload, the payload file write) and per request (decode,
// genai, jobs and RowBinary of each request alone, then the payloads joined), and the
// receiver's screening of the requests before either (`screen`, not in `total`). Median over
// `CYCLES` cycles after as many warm-up cycles.
// REQUESTS=4 SIZE=512 CYCLES=200 node bench/probes/cycleStages.ts
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { payloadBuffers, spanRowBinary } from '@llmp/clickhouse';
import { genAiOf, genAiProcessorFactory } from '@llmp/genai';
import { jobLinkerConfig, jobLinkerFactory } from '@llmp/jobs';
import { encodeProtobufRequest, screenProtobufRequest, type TraceBatch, traceBatch } from '@llmp/otlp';
import { createLogger } from '@llmp/pipeline';
import { tempDir } from '../../test/support/tempDir.ts';
import { median } from '../src/quantiles.ts';
import { smallSpanBatches } from '../src/smallSpanBatches.ts';

const requestsPerCycle = Number(process.env.REQUESTS ?? 4);
const size = Number(process.env.SIZE ?? 512);
const cycles = Number(process.env.CYCLES ?? 200);

const bodies = (await smallSpanBatches(requestsPerCycle * size * 4 * cycles, size)).map((b) =>
  encodeProtobufRequest(b.request()),
);
const settings = (id: string) => ({ id, logger: createLogger({ level: 'warn' }) });
let last: TraceBatch | undefined;
const keep = {
  consume: async (b: TraceBatch) => {
    last = b;
  },
};
const linker = jobLinkerFactory({ discover: async () => new Map() }).create(
  settings('jobs'),
  jobLinkerConfig.parse({}),
  keep,
);
const genai = genAiProcessorFactory.create(
  settings('genai'),
  genAiProcessorFactory.configSchema.parse({}),
  linker,
);
const buffers = payloadBuffers();
const dir = tempDir('probe-cycle-stages');
const path = `${dir.path}/payload.rowbinary`;

/** The receiver's part: screened into a batch that decodes on demand. */
const received = (body: Uint8Array) => {
  const screening = screenProtobufRequest(body);
  return traceBatch({ projectId: 'default', spanCount: screening.acceptedSpans, wire: screening.accepted });
};
const lapper = () => {
  let at = performance.now();
  return () => {
    const now = performance.now();
    const ms = now - at;
    at = now;
    return ms;
  };
};

type Laps = Record<string, number>;
async function atClose(batches: TraceBatch[]): Promise<Laps> {
  const lap = lapper();
  const resourceSpans = batches.flatMap((b) => b.request().resourceSpans);
  const merged = traceBatch({
    projectId: 'default',
    request: { resourceSpans },
    spanCount: batches.reduce((n, b) => n + b.spanCount, 0),
  });
  const decode = lap();
  await genai.consume(merged);
  const processors = lap();
  const batch = last!;
  const payload = spanRowBinary(
    'default',
    batch.request(),
    (s) => genAiOf(batch, s),
    buffers.take(batch.spanCount),
  );
  const rowBinary = lap();
  await writeFile(path, payload.bytes);
  const write = lap();
  buffers.give(payload.buffer);
  return { decode, processors, rowBinary, write, total: decode + processors + rowBinary + write };
}

async function perRequest(batches: TraceBatch[]): Promise<Laps> {
  const laps: Laps = { decode: 0, processors: 0, rowBinary: 0, join: 0, write: 0, lastRequest: 0 };
  const parts: Buffer[] = [];
  for (const b of batches) {
    const lap = lapper();
    b.request();
    laps.decode! += lap();
    await genai.consume(b);
    laps.processors! += lap();
    const batch = last!;
    parts.push(spanRowBinary('default', batch.request(), (s) => genAiOf(batch, s)).bytes);
    laps.rowBinary! += lap();
  }
  const lap = lapper();
  const bytes = Buffer.concat(parts);
  laps.join = lap();
  await writeFile(path, bytes);
  laps.write = lap();
  const perOne = (laps.decode! + laps.processors! + laps.rowBinary!) / batches.length;
  laps.total = laps.decode! + laps.processors! + laps.rowBinary! + laps.join + laps.write;
  // What is left once the last request arrives: its own work, the join and the write.
  laps.lastRequest = perOne + laps.join + laps.write;
  return laps;
}

const results: Record<string, Laps[]> = { atClose: [], perRequest: [] };
let next = 0;
/** The receiver's screening of the cycle's requests (the same in both ways), timed apart. */
const cycle = () => {
  next += requestsPerCycle;
  const lap = lapper();
  const batches = bodies.slice(next - requestsPerCycle, next).map(received);
  return { batches, screen: lap() };
};
for (let c = 0; c < cycles * 2; c++) {
  const one = cycle();
  const a = { screen: one.screen, ...(await atClose(one.batches)) };
  const two = cycle();
  const b = { screen: two.screen, ...(await perRequest(two.batches)) };
  if (c >= cycles) {
    results.atClose!.push(a);
    results.perRequest!.push(b);
  }
}
dir.remove();
const round2 = (x: number) => Math.round(x * 100) / 100;
for (const [way, list] of Object.entries(results)) {
  const keys = Object.keys(list[0]!);
  console.log(
    JSON.stringify({
      way,
      load: round2(loadavg()[0]!),
      requests: `${requestsPerCycle} × ${size} spans`,
      medianMs: Object.fromEntries(keys.map((k) => [k, round2(median(list.map((l) => l[k]!)))])),
    }),
  );
}
