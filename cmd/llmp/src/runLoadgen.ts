import { otlpSender, type Protocol, runLoad } from '@llmp/loadgen';

function positive(name: string, value: unknown, { allowZero = false } = {}): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || (!allowZero && n === 0))
    throw new Error(`--${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got "${value}"`);
  return n;
}

/**
 * `llmp loadgen`: offers realistic LLM traces to a receiver and prints what was acknowledged.
 * @example await runLoadgen({ protocol: 'grpc', rate: '0', concurrency: '8', duration: '10', tracesPerRequest: '5' });
 */
export async function runLoadgen(options: Record<string, string | boolean | undefined>): Promise<void> {
  const protocol = options.protocol as Protocol;
  const endpoint =
    (options.endpoint as string | undefined) ??
    (protocol === 'grpc' ? 'http://127.0.0.1:4317' : 'http://127.0.0.1:4318');
  const apiKey = (options.apiKey as string | undefined) ?? process.env.LLMP_API_KEY;
  const sender = otlpSender(protocol, endpoint, { apiKey: apiKey || undefined });
  try {
    const report = await runLoad({
      sender,
      rate: positive('rate', options.rate, { allowZero: true }),
      concurrency: positive('concurrency', options.concurrency),
      durationMs: positive('duration', options.duration) * 1000,
      tracesPerRequest: positive('traces-per-request', options.tracesPerRequest),
      ...(typeof options.job === 'string' ? { jobId: options.job } : {}),
    });
    if (options.json) {
      process.stdout.write(`${JSON.stringify(report)}\n`);
      return;
    }
    const rows: Array<[string, string]> = [
      ['protocol', `${report.protocol} → ${endpoint}`],
      ['duration', `${(report.durationMs / 1000).toFixed(1)} s`],
      ['requests', String(report.requests)],
      ['spans sent', String(report.sentSpans)],
      ['spans acknowledged', String(report.acknowledgedSpans)],
      [
        'spans refused',
        `${report.refusedSpans} (${report.retryableAnswers} retryable answers) ${JSON.stringify(report.failedAnswers)}`,
      ],
      ['throughput', `${report.spansPerSecond} spans/s acknowledged`],
      [
        'latency',
        `p50 ${report.latencyMs.p50} ms · p90 ${report.latencyMs.p90} ms · p99 ${report.latencyMs.p99} ms · max ${report.latencyMs.max} ms`,
      ],
    ];
    for (const [k, v] of rows) process.stdout.write(`${k.padEnd(20)} ${v}\n`);
  } finally {
    sender.close();
  }
}
