// Loaded into a gateway with `--import` (gatewayLatency.ts): where each request's wall time goes.
// Writes a JSON summary to LATENCY_PROBE_OUT on exit. Sources: node:http2's diagnostics channels
// (a gRPC call from its HEADERS to its end), @platformatic/kafka's (a send from the call to its
// callback; a Produce request from its socket write to its response), the event loop's delay.
import { subscribe, tracingChannel } from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';
import { createHistogram, monitorEventLoopDelay, performance } from 'node:perf_hooks';

const ms = () => createHistogram({ lowest: 1, highest: 60_000_000, figures: 3 });
const histograms = {
  /** node:http2 stream created (request HEADERS) → stream finished (answer written). */
  grpcCall: ms(),
  /** node:http2 stream created → its request body ended (HEADERS to END_STREAM, read by grpc-js). */
  grpcReceive: ms(),
  /** Request body ended → stream finished (decode, screening, records, Kafka, answer). */
  grpcAfterBody: ms(),
  /** Producer.send called → its callback (acks=all answered). */
  producerSend: ms(),
  /** Producer.send called → its Produce request written to the socket (waiting in the client). */
  sendToWrite: ms(),
  /** Produce request written → response parsed (network + broker append + acks). */
  produceRoundTrip: ms(),
};
let produceRequests = 0;
let maxInFlight = 0;
let inFlight = 0;
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
const microseconds = (since: number) => Math.max(1, Math.round((performance.now() - since) * 1000));

const streams = new WeakMap<object, number>();
const bodyEnded = new WeakMap<object, number>();
let sessionWindow: unknown;
subscribe('http2.server.stream.created', (message) => {
  const stream = (message as { stream: import('node:http2').ServerHttp2Stream }).stream;
  const at = performance.now();
  streams.set(stream, at);
  sessionWindow ??= { ...stream.session?.state, settings: stream.session?.localSettings };
  stream.once('end', () => {
    bodyEnded.set(stream, performance.now());
    histograms.grpcReceive.record(microseconds(at));
  });
});
subscribe('http2.server.stream.finish', (message) => {
  const stream = (message as { stream: object }).stream;
  const at = streams.get(stream);
  if (at !== undefined) histograms.grpcCall.record(microseconds(at));
  const ended = bodyEnded.get(stream);
  if (ended !== undefined) histograms.grpcAfterBody.record(microseconds(ended));
});

const sends = new WeakMap<object, number>();
/** The first Produce write after each send, in send order (the client keeps FIFO order). */
const waitingForWrite: number[] = [];
tracingChannel('plt:kafka:producer:sends').subscribe({
  start(context) {
    sends.set(context as object, performance.now());
    waitingForWrite.push(performance.now());
  },
  end() {},
  asyncStart() {},
  asyncEnd(context) {
    const at = sends.get(context as object);
    if (at !== undefined) histograms.producerSend.record(microseconds(at));
  },
  error() {},
});
const writes = new WeakMap<object, number>();
tracingChannel('plt:kafka:connections:api').subscribe({
  start(context) {
    if ((context as { apiKey: number }).apiKey !== 0) return;
    produceRequests++;
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    writes.set(context as object, performance.now());
    const sent = waitingForWrite.shift();
    if (sent !== undefined) histograms.sendToWrite.record(microseconds(sent));
  },
  end() {},
  asyncStart() {},
  asyncEnd(context) {
    const at = writes.get(context as object);
    if (at === undefined) return;
    inFlight--;
    histograms.produceRoundTrip.record(microseconds(at));
  },
  error() {},
});

process.on('exit', () => {
  const out = process.env.LATENCY_PROBE_OUT;
  if (!out) return;
  const summary = (h: ReturnType<typeof ms>) => ({
    count: h.count,
    p50: h.count ? h.percentile(50) / 1000 : 0,
    p90: h.count ? h.percentile(90) / 1000 : 0,
    p99: h.count ? h.percentile(99) / 1000 : 0,
    mean: h.count ? Math.round(h.mean) / 1000 : 0,
  });
  writeFileSync(
    out,
    JSON.stringify({
      unit: 'ms',
      ...Object.fromEntries(Object.entries(histograms).map(([k, h]) => [k, summary(h)])),
      produceRequests,
      sessionWindow,
      maxProduceInFlight: maxInFlight,
      eventLoopDelay: { p50: loop.percentile(50) / 1e6, p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 },
    }),
  );
});
