import { PerformanceObserver } from 'node:perf_hooks';
import { payloadBuffers, spanRowBinary } from '@llmp/clickhouse';
import { genAiOf, genAiProcessorFactory } from '@llmp/genai';
import { jobLinkerConfig, jobLinkerFactory } from '@llmp/jobs';
import { traceRecords } from '@llmp/kafka';
import { encodeRequests } from '@llmp/loadgen';
import {
  decodeProtobufRequest,
  rejectInvalidSpans,
  screenProtobufRequest,
  type TraceBatch,
  traceBatch,
} from '@llmp/otlp';
import { type Consumer, createLogger } from '@llmp/pipeline';
import { median } from './quantiles.ts';

// `pnpm bench ingester-node`: the ingester's own code on one core, without Kafka or the engine:
// Kafka record values (loadgen's LLM traces cut into one record per trace, as the gateway writes
// them) → decoded and screened (the Kafka receiver) → one batch per insert → genai processor →
// jobs processor → RowBinary payload (the clickhouse exporter). CPU time per span of each stage,
// over `rounds` passes of the same records, median; GC pauses counted apart.

const stages = ['decode', 'genai', 'jobs', 'rowBinary'] as const;
type Stage = (typeof stages)[number];

/** Loadgen's traces as `otlp_spans` record values, grouped into inserts of about `spansPerInsert`. */
function insertsOfRecords(spans: number, spansPerInsert: number): Uint8Array[][] {
  const requests = encodeRequests('grpc', { count: Math.ceil(spans / 150), tracesPerRequest: 20 });
  const inserts: Uint8Array[][] = [[]];
  let inCurrent = 0;
  for (const { body } of requests) {
    for (const record of traceRecords(screenProtobufRequest(body).accepted, 1_000_000)) {
      if (inCurrent >= spansPerInsert) {
        inserts.push([]);
        inCurrent = 0;
      }
      inserts.at(-1)!.push(record.value);
      inCurrent += record.spanCount;
    }
  }
  return inserts;
}

/** A consumer that keeps the last batch it was given. */
function keeper(): Consumer<TraceBatch> & { last?: TraceBatch } {
  const out: Consumer<TraceBatch> & { last?: TraceBatch } = {
    async consume(batch) {
      out.last = batch;
    },
  };
  return out;
}

const cpuMicros = (from: NodeJS.CpuUsage) => {
  const { user, system } = process.cpuUsage(from);
  return user + system;
};

/**
 * Runs the ingester's Node-side path over `spans` loadgen spans `rounds` times and reports CPU
 * microseconds per span, per stage and in all (medians over rounds), and GC pause per span.
 * @example await ingesterNodeScenario({ spans: 50_000, rounds: 7 })
 */
export async function ingesterNodeScenario({
  spans = 50_000,
  rounds = 7,
  spansPerInsert = 5_000,
}: {
  spans?: number;
  rounds?: number;
  spansPerInsert?: number;
}) {
  const inserts = insertsOfRecords(spans, spansPerInsert);
  const settings = (id: string) => ({ id, logger: createLogger({ level: 'warn' }) });
  const linked = keeper();
  const normalised = keeper();
  const linker = jobLinkerFactory({ discover: async () => new Map() }).create(
    settings('jobs'),
    jobLinkerConfig.parse({}),
    linked,
  );
  const genai = genAiProcessorFactory.create(
    settings('genai'),
    genAiProcessorFactory.configSchema.parse({}),
    normalised,
  );
  let gcMs = 0;
  const gc = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMs += entry.duration;
  });
  gc.observe({ entryTypes: ['gc'] });

  // The exporter's buffers: each payload written into the one the previous insert finished with.
  const buffers = payloadBuffers();
  const perRound: Array<Record<Stage | 'total' | 'gcPause', number>> = [];
  let spanCount = 0;
  let payloadBytes = 0;
  // Round 0 warms the code up and is not counted.
  for (let round = 0; round <= rounds; round++) {
    const cpu: Record<Stage, number> = { decode: 0, genai: 0, jobs: 0, rowBinary: 0 };
    gcMs = 0;
    spanCount = 0;
    payloadBytes = 0;
    for (const values of inserts) {
      let at = process.cpuUsage();
      const lap = (stage: Stage) => {
        cpu[stage] += cpuMicros(at);
        at = process.cpuUsage();
      };
      // The Kafka receiver: decode and screen each record, then one batch per insert.
      const decoded = values.map((value) => {
        const screening = rejectInvalidSpans(decodeProtobufRequest(value));
        return traceBatch({
          projectId: 'default',
          request: screening.accepted,
          spanCount: screening.acceptedSpans,
        });
      });
      const merged = traceBatch({
        projectId: 'default',
        request: { resourceSpans: decoded.flatMap((b) => b.request().resourceSpans) },
        spanCount: decoded.reduce((n, b) => n + b.spanCount, 0),
      });
      lap('decode');
      await genai.consume(merged);
      lap('genai');
      await linker.consume(normalised.last!);
      lap('jobs');
      const batch = linked.last!;
      const payload = spanRowBinary(
        batch.projectId,
        batch.request(),
        (span) => genAiOf(batch, span),
        buffers.take(batch.spanCount),
      );
      lap('rowBinary');
      buffers.give(payload.buffer);
      spanCount += payload.rows;
      payloadBytes += payload.bytes.length;
    }
    // GC entries arrive asynchronously: let them land before reading the round's sum.
    await new Promise((resolve) => setTimeout(resolve, 10));
    if (round === 0) continue;
    const total = stages.reduce((n, s) => n + cpu[s], 0);
    perRound.push({
      ...(Object.fromEntries(stages.map((s) => [s, cpu[s] / spanCount])) as Record<Stage, number>),
      total: total / spanCount,
      gcPause: (gcMs * 1000) / spanCount,
    });
  }
  gc.disconnect();
  const round2 = (n: number) => Math.round(n * 100) / 100;
  const medianOf = (key: Stage | 'total' | 'gcPause') => round2(median(perRound.map((r) => r[key])));
  return {
    scenario: 'ingester-node',
    spans: spanCount,
    inserts: inserts.length,
    records: inserts.reduce((n, r) => n + r.length, 0),
    rounds,
    payloadBytesPerSpan: Math.round(payloadBytes / spanCount),
    cpuMicrosPerSpan: medianOf('total'),
    cpuMicrosPerSpanRounds: perRound.map((r) => round2(r.total)),
    ...Object.fromEntries(stages.map((s) => [`${s}MicrosPerSpan`, medianOf(s)])),
    gcPauseMicrosPerSpan: medianOf('gcPause'),
  };
}
