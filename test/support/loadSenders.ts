import { readFileSync } from 'node:fs';
import { otlpJsonTrace } from './otlpJson.ts';

export interface LoadResult {
  /** Traces answered 200: the receiver promised they are stored. */
  acked: Array<{ traceId: string; spans: number }>;
  /** How many requests got each HTTP status. */
  statuses: Record<number, number>;
  /** Requests that got no answer (connection refused or reset). */
  failures: number;
  ackedSpans(): number;
}

/**
 * Runs `senders` concurrent OTLP/JSON senders against a receiver, each posting one new trace of
 * `spansPerRequest` spans after the other as fast as answers come, until `stop` resolves or
 * (once `stop` resolved) a sender's request fails. Nothing is retried: each answer is recorded.
 * @example const result = await loadSenders({ httpPort, senders: 32, spansPerRequest: 100, stop: sleep(3000) });
 */
export async function loadSenders({
  httpPort,
  senders,
  spansPerRequest,
  stop,
  headers = {},
}: {
  httpPort: number;
  senders: number;
  spansPerRequest: number;
  stop: Promise<unknown>;
  headers?: Record<string, string>;
}): Promise<LoadResult> {
  let stopped = false;
  void stop.then(() => {
    stopped = true;
  });
  const result: LoadResult = {
    acked: [],
    statuses: {},
    failures: 0,
    ackedSpans: () => result.acked.reduce((n, t) => n + t.spans, 0),
  };
  async function sender() {
    while (!stopped) {
      const trace = otlpJsonTrace({ spans: spansPerRequest, service: 'load' });
      try {
        const res = await fetch(`http://127.0.0.1:${httpPort}/v1/traces`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: trace.body,
        });
        await res.arrayBuffer();
        result.statuses[res.status] = (result.statuses[res.status] ?? 0) + 1;
        if (res.status === 200) result.acked.push({ traceId: trace.traceId, spans: spansPerRequest });
        // A retryable answer: back off a little, as an SDK would, then send new data.
        if (res.status === 429 || res.status === 503) await new Promise((r) => setTimeout(r, 20));
      } catch {
        result.failures++;
        // Only a server going away ends a sender; before that, keep sending.
        if (stopped) return;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }
  await Promise.all(Array.from({ length: senders }, sender));
  return result;
}

/** Peak resident set size of a process, in bytes (Linux /proc VmHWM). */
export function peakRss(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : Number.NaN;
}
