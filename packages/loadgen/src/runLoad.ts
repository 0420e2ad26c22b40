import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { llmTrace, seededRandom } from './llmTraces.ts';
import type { OtlpSender } from './otlpSender.ts';

export interface LoadOptions {
  sender: OtlpSender;
  /** Spans per second to offer; 0 = as fast as the receiver acknowledges. */
  rate: number;
  concurrency: number;
  durationMs: number;
  tracesPerRequest: number;
  /**
   * Distinct requests encoded up front and cycled with fresh trace ids, so the generator is not
   * the bottleneck and every send is new traces.
   */
  poolSize?: number;
  seed?: number;
  jobId?: string;
}

export interface LoadReport {
  protocol: string;
  durationMs: number;
  requests: number;
  sentSpans: number;
  acknowledgedSpans: number;
  refusedSpans: number;
  retryableAnswers: number;
  failedAnswers: Record<string, number>;
  spansPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** One pre-encoded export request, and where its trace ids sit in the body. */
export interface EncodedRequest {
  body: Uint8Array;
  spans: number;
  /** Byte offsets of the low half of every trace id: 8 raw bytes (protobuf) or 16 hex digits (JSON). */
  traceIdSites: number[];
}

/** Offsets of every occurrence of the given (hex) trace ids' low halves in an encoded body. */
function traceIdSites(body: Uint8Array, traceIds: Set<string>, protocol: OtlpSender['protocol']): number[] {
  const haystack = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const sites: number[] = [];
  for (const id of traceIds) {
    const needle = protocol === 'http/json' ? Buffer.from(id, 'latin1') : Buffer.from(id, 'hex');
    const low = protocol === 'http/json' ? 16 : 8;
    let found = 0;
    for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + needle.length)) {
      sites.push(at + low);
      found++;
    }
    if (found === 0) throw new Error(`trace id ${id} not found in its encoded request`);
  }
  return sites;
}

/**
 * A copy of a pooled request whose trace ids are all new for send number `sendNo`: the low
 * half of each id is XORed with the send number, so the traces of one request stay distinct and
 * each send of a pooled request stores new traces, as a real application's would.
 */
export function withFreshTraceIds(
  request: EncodedRequest,
  sendNo: number,
  protocol: OtlpSender['protocol'],
): Uint8Array {
  const body = Buffer.from(request.body);
  const mask = BigInt(sendNo);
  for (const at of request.traceIdSites) {
    if (protocol === 'http/json') {
      const low = BigInt(`0x${body.toString('latin1', at, at + 16)}`) ^ mask;
      body.write(low.toString(16).padStart(16, '0'), at, 'latin1');
    } else body.writeBigUInt64BE(body.readBigUInt64BE(at) ^ mask, at);
  }
  return body;
}

/** Encodes `count` requests of realistic traces, each with `tracesPerRequest` traces. */
export function encodeRequests(
  protocol: OtlpSender['protocol'],
  {
    count,
    tracesPerRequest,
    seed = 1,
    jobId,
  }: { count: number; tracesPerRequest: number; seed?: number; jobId?: string },
): EncodedRequest[] {
  const random = seededRandom(seed);
  const now = BigInt(Date.now()) * 1_000_000n;
  const out: EncodedRequest[] = [];
  for (let i = 0; i < count; i++) {
    const spans: ReadableSpan[] = [];
    for (let t = 0; t < tracesPerRequest; t++) {
      spans.push(
        ...llmTrace(random, {
          startNs: now - BigInt(i * 1000 + t) * 1_000_000n,
          service: `svc-${t % 4}`,
          jobId,
        }),
      );
    }
    const body =
      protocol === 'http/json'
        ? JsonTraceSerializer.serializeRequest(spans)
        : ProtobufTraceSerializer.serializeRequest(spans);
    if (!body) throw new Error('the OTLP serializer produced nothing');
    const traceIds = new Set(spans.map((s) => s.spanContext().traceId));
    out.push({ body, spans: spans.length, traceIdSites: traceIdSites(body, traceIds, protocol) });
  }
  return out;
}

/**
 * Offers realistic LLM traces to an OTLP receiver for a while and reports what it acknowledged.
 * @example const report = await runLoad({ sender, rate: 0, concurrency: 8, durationMs: 10_000, tracesPerRequest: 10 });
 */
export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const { sender, rate, concurrency, durationMs, tracesPerRequest } = options;
  const pool = encodeRequests(sender.protocol, {
    count: options.poolSize ?? 64,
    tracesPerRequest,
    seed: options.seed ?? 1,
    ...(options.jobId ? { jobId: options.jobId } : {}),
  });
  const latencies: number[] = [];
  const failedAnswers: Record<string, number> = {};
  let requests = 0;
  let sentSpans = 0;
  let acknowledgedSpans = 0;
  let refusedSpans = 0;
  let retryableAnswers = 0;
  let next = 0;
  const started = performance.now();
  const deadline = started + durationMs;

  async function worker(): Promise<void> {
    while (performance.now() < deadline) {
      const sendNo = next++;
      const item = pool[sendNo % pool.length]!;
      if (rate > 0) {
        // Pace all workers together: request k may leave at started + k * spans / rate.
        const due = started + ((sentSpans + item.spans) / rate) * 1000;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        if (performance.now() >= deadline) return;
      }
      sentSpans += item.spans;
      requests++;
      const t0 = performance.now();
      // The first round sends the pool as encoded; later rounds carry new trace ids.
      const body = sendNo < pool.length ? item.body : withFreshTraceIds(item, sendNo, sender.protocol);
      const outcome = await sender.send(body);
      latencies.push(performance.now() - t0);
      if (outcome.ok) acknowledgedSpans += item.spans;
      else {
        refusedSpans += item.spans;
        if (outcome.retryable) retryableAnswers++;
        failedAnswers[outcome.status] = (failedAnswers[outcome.status] ?? 0) + 1;
      }
    }
  }

  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = performance.now() - started;
  latencies.sort((a, b) => a - b);
  return {
    protocol: sender.protocol,
    durationMs: Math.round(elapsed),
    requests,
    sentSpans,
    acknowledgedSpans,
    refusedSpans,
    retryableAnswers,
    failedAnswers,
    spansPerSecond: Math.round(acknowledgedSpans / (elapsed / 1000)),
    latencyMs: {
      p50: Math.round(quantile(latencies, 0.5) * 10) / 10,
      p90: Math.round(quantile(latencies, 0.9) * 10) / 10,
      p99: Math.round(quantile(latencies, 0.99) * 10) / 10,
      max: Math.round((latencies.at(-1) ?? 0) * 10) / 10,
    },
  };
}
