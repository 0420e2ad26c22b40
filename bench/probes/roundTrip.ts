// Where an all-in-one round trip's wall time goes under telemetrygen (issue 21 item 2, aiocycle).
// ROOTS=<checkout>,… (default this one) VARIANTS='["", "processors:\n  batch:\n    exportConcurrency: 2\n"]'
// ROUNDS=1 SECONDS=10 SENDERS=4 RATE=12500 BATCH=512 node bench/probes/roundTrip.ts
// Each root × variant runs `llmp start` with roundTripHooks.ts loaded (--import) under
// `SENDERS` telemetrygen processes, then prints per request the mean and p50 of each part of its
// round trip (HEADERS → END_STREAM → its INSERT's payload written → INSERT started → ended →
// answer → the same sender's next HEADERS), the INSERTs (spans each, engine wall time, share of
// the run the engine was inserting), every other statement by kind, CPU per thread of llmp and
// the CPU of the telemetrygen processes.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { startLlmp } from '../../test/support/llmpProcess.ts';
import { tempDir } from '../../test/support/tempDir.ts';
import { acceptedSpans } from '../src/acceptedSpans.ts';
import { runTelemetrygenSenders } from '../src/telemetrygenSenders.ts';
import { threadCpu as cpuByThread } from '../src/threadCpu.ts';
import type { Call, Statement } from './roundTripHooks.ts';

interface Timeline {
  calls: Call[];
  statements: Statement[];
  payloadWrites: { started: number; ended?: number; bytes: number; startedCpu?: number }[];
  eventLoopDelayMs: Record<string, number>;
}

const here = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const roots = (process.env.ROOTS ?? here).split(',');
const variants: string[] = JSON.parse(process.env.VARIANTS ?? '[""]');
const seconds = Number(process.env.SECONDS ?? 10);
const load = {
  senders: Number(process.env.SENDERS ?? 4),
  rate: Number(process.env.RATE ?? 12_500),
  seconds,
  batchSize: Number(process.env.BATCH ?? 512),
  workersPerSender: Number(process.env.WORKERS_PER_SENDER ?? 1),
};

/** CPU seconds of this process's reaped children (the telemetrygen processes once they exit). */
function childrenCpu(): number {
  const s = readFileSync('/proc/self/stat', 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) / 100;
}
const round1 = (x: number) => Math.round(x * 10) / 10;
function stats(values: number[]) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return { n: 0 };
  const at = (q: number) => v[Math.min(v.length - 1, Math.floor(q * v.length))]!;
  return {
    n: v.length,
    mean: round1(v.reduce((s, x) => s + x, 0) / v.length),
    p50: round1(at(0.5)),
    p90: round1(at(0.9)),
  };
}

function analyse(t: Timeline, from: number, to: number) {
  const isSpansInsert = (s: Statement) => /INSERT INTO \S+\.spans /.test(s.sql);
  const inserts = t.statements
    .filter((s) => isSpansInsert(s) && s.ended !== undefined && s.started >= from && s.ended <= to)
    .sort((a, b) => a.started - b.started);
  const writes = t.payloadWrites.filter((w) => w.started >= from && w.started <= to);
  const calls = t.calls.filter((c) => c.headers >= from && c.answered !== undefined && c.answered <= to);
  const parts: Record<string, number[]> = {
    headersToBodyEnd: [],
    bodyEndToPayloadWritten: [],
    ofItBehindPreviousInsert: [],
    payloadWrittenToInsertStart: [],
    ofItQueuedInChdbParamChain: [],
    insert: [],
    insertEndToAnswer: [],
    roundTrip: [],
    answerToSameSendersNext: [],
  };
  const requestsPerInsert = new Map<Statement, number>();
  for (const call of calls) {
    // The INSERT that stored it: the last one to end before its answer.
    let insert: Statement | undefined;
    for (const s of inserts) if (s.ended! <= call.answered!) insert = s;
    if (!insert || call.bodyEnd === undefined) continue;
    requestsPerInsert.set(insert, (requestsPerInsert.get(insert) ?? 0) + 1);
    const index = inserts.indexOf(insert);
    const previousEnd = index > 0 ? inserts[index - 1]!.ended! : -Infinity;
    // The payload write that preceded this INSERT.
    let write: (typeof writes)[number] | undefined;
    for (const w of writes) if (w.started <= insert.started) write = w;
    const written = write?.ended ?? insert.called ?? insert.started;
    parts.headersToBodyEnd!.push(call.bodyEnd - call.headers);
    parts.bodyEndToPayloadWritten!.push(written - call.bodyEnd);
    parts.ofItBehindPreviousInsert!.push(Math.max(0, Math.min(written, previousEnd) - call.bodyEnd));
    parts.payloadWrittenToInsertStart!.push(insert.started - written);
    parts.ofItQueuedInChdbParamChain!.push(insert.started - (insert.called ?? insert.started));
    parts.insert!.push(insert.ended! - insert.started);
    parts.insertEndToAnswer!.push(call.answered! - insert.ended!);
    parts.roundTrip!.push(call.answered! - call.headers);
    const next = t.calls.find((c) => c.connection === call.connection && c.headers > call.answered!);
    if (next && next.headers <= to) parts.answerToSameSendersNext!.push(next.headers - call.answered!);
  }
  // The engine-idle gap before each INSERT, cut where its requests came and went: the previous
  // INSERT's end → the first of its answers written → the first request of this INSERT begun
  // (HEADERS) → the last of them received (END_STREAM) → its payload write begun (the Node work
  // left once the last request is in) → written → the INSERT started. Parts clamped at 0.
  const answeredBy = new Map<Statement, Call[]>();
  for (const call of calls) {
    let insert: Statement | undefined;
    for (const s of inserts) if (s.ended! <= call.answered!) insert = s;
    if (insert && call.bodyEnd !== undefined)
      answeredBy.set(insert, [...(answeredBy.get(insert) ?? []), call]);
  }
  const gap: Record<string, number[]> = {
    insertEndToFirstAnswer: [],
    firstAnswerToFirstHeaders: [],
    firstHeadersToLastBodyEnd: [],
    lastBodyEndToWriteStart: [],
    write: [],
    writtenToInsertStart: [],
    whole: [],
  };
  // The main thread's CPU in the gap and after the last request came in: if it is about the
  // gap's wall time, the gap is Node's work and moving it earlier only lengthens the arrivals.
  const mainCpuMs: Record<string, number[]> = { inGap: [], afterLastBodyEnd: [] };
  for (let i = 1; i < inserts.length; i++) {
    const previous = answeredBy.get(inserts[i - 1]!);
    const these = answeredBy.get(inserts[i]!);
    let write: (typeof writes)[number] | undefined;
    for (const w of writes) if (w.started <= inserts[i]!.started) write = w;
    if (!previous || !these || !write || write.ended === undefined) continue;
    const marks = [
      inserts[i - 1]!.ended!,
      Math.min(...previous.map((c) => c.answered!)),
      Math.min(...these.map((c) => c.headers)),
      Math.max(...these.map((c) => c.bodyEnd!)),
      write.started,
      write.ended,
      inserts[i]!.started,
    ];
    const names = Object.keys(gap).slice(0, -1);
    for (let k = 0; k < names.length; k++) gap[names[k]!]!.push(Math.max(0, marks[k + 1]! - marks[k]!));
    gap.whole!.push(marks[6]! - marks[0]!);
    const previousEndCpu = inserts[i - 1]!.endedCpu;
    const startCpu = inserts[i]!.startedCpu;
    if (previousEndCpu !== undefined && startCpu !== undefined)
      mainCpuMs.inGap!.push(startCpu - previousEndCpu);
    const last = these.reduce((a, c) => (c.bodyEnd! > a.bodyEnd! ? c : a));
    if (last.bodyEndCpu !== undefined && write.startedCpu !== undefined)
      mainCpuMs.afterLastBodyEnd!.push(write.startedCpu - last.bodyEndCpu);
  }
  const wall = to - from;
  const insertBusy = inserts.reduce((s, i) => s + (i.ended! - i.started), 0);
  const others = new Map<string, { n: number; ms: number }>();
  for (const s of t.statements) {
    if (isSpansInsert(s) || s.started < from || s.started > to) continue;
    const kind = s.sql.replace(/\s+/g, ' ').slice(0, 70);
    const o = others.get(kind) ?? { n: 0, ms: 0 };
    o.n++;
    o.ms += (s.ended ?? to) - s.started;
    others.set(kind, o);
  }
  return {
    requests: calls.length,
    partsMs: Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, stats(v)])),
    inserts: inserts.length,
    requestsPerInsert: stats([...requestsPerInsert.values()]),
    insertWallMs: stats(inserts.map((i) => i.ended! - i.started)),
    gapBetweenInsertsMs: stats(inserts.slice(1).map((i, k) => i.started - inserts[k]!.ended!)),
    gapPartsMs: Object.fromEntries(Object.entries(gap).map(([k, v]) => [k, stats(v)])),
    gapMainThreadCpuMs: Object.fromEntries(Object.entries(mainCpuMs).map(([k, v]) => [k, stats(v)])),
    engineInsertingShare: round1((insertBusy / wall) * 100),
    payloadWriteMs: stats(writes.map((w) => (w.ended ?? w.started) - w.started)),
    otherStatements: Object.fromEntries([...others].map(([k, v]) => [k, { n: v.n, ms: round1(v.ms) }])),
    eventLoopDelayMs: t.eventLoopDelayMs,
  };
}

const dir = tempDir('probe-round-trip');
try {
  for (let round = 0; round < Number(process.env.ROUNDS ?? 1); round++) {
    for (const root of roots) {
      for (const [v, variant] of variants.entries()) {
        const out = `${dir.path}/timeline-${round}-${v}.json`;
        const llmp = await startLlmp({
          dataDir: `${dir.path}/data-${round}-${v}-${roots.indexOf(root)}`,
          root,
          extraYaml: variant,
          // EXTRA_NODE_OPTIONS, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`, for llmp start only.
          env: {
            NODE_OPTIONS: `--import ${here}/bench/probes/roundTripHooks.ts ${process.env.EXTRA_NODE_OPTIONS ?? ''}`,
            ROUND_TRIP_OUT: out,
          },
        });
        const pid = llmp.child.pid!;
        const n0 = await acceptedSpans(llmp.apiPort);
        const cpu0 = cpuByThread(pid);
        const children0 = childrenCpu();
        const sent = await runTelemetrygenSenders({ endpoint: `127.0.0.1:${llmp.grpcPort}`, ...load });
        const cpu1 = cpuByThread(pid);
        const telemetrygenCpu = childrenCpu() - children0;
        const spans = (await acceptedSpans(llmp.apiPort)) - n0;
        const loadAverage = round1(loadavg()[0]!);
        await llmp.stop('SIGTERM');
        const timeline = JSON.parse(readFileSync(out, 'utf8')) as Timeline;
        // The hook's clock starts with the llmp process: place the run by its first and last call.
        const first = Math.min(...timeline.calls.map((c) => c.headers));
        const threadCpu = Object.fromEntries(
          [...cpu1]
            .map(([k, x]) => [k, round1(x - (cpu0.get(k) ?? 0))] as const)
            .filter(([, x]) => x > 0.05)
            .sort((a, b) => b[1] - a[1]),
        );
        const llmpCpu = Object.values(threadCpu).reduce((s, x) => s + x, 0);
        // Every spans INSERT of the run (the thread CPU covers the whole run too).
        const runInserts = timeline.statements.filter((s) => /INSERT INTO \S+\.spans /.test(s.sql)).length;
        const engineCpu = (threadCpu.ThreadPool ?? 0) + (threadCpu['libuv-worker'] ?? 0);
        console.log(
          JSON.stringify({
            root,
            variant,
            round,
            senders: `${load.senders} × --workers ${load.workersPerSender} --rate ${load.rate} --batch-size ${load.batchSize}`,
            load: loadAverage,
            spans,
            spansPerSecond: Math.round(spans / sent.seconds),
            llmpCpuSecondsPerMillion: round1((llmpCpu / spans) * 1e6),
            llmpCores: round1(llmpCpu / sent.seconds),
            telemetrygenCores: round1(telemetrygenCpu / sent.seconds),
            threadCpu,
            runInserts,
            spansPerInsert: Math.round(spans / runInserts),
            insertCpuMs: round1((engineCpu / runInserts) * 1000),
            // Leave out the first and last second: senders starting and stopping.
            ...analyse(timeline, first + 1000, first + (sent.seconds - 1) * 1000),
          }),
        );
      }
    }
  }
} finally {
  dir.remove();
}
