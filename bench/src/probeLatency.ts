import { randomBytes } from 'node:crypto';
import { quantiles } from './quantiles.ts';

function probeBody(traceId: string): string {
  const now = BigInt(Date.now()) * 1_000_000n;
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'probe' } }] },
        scopeSpans: [
          {
            spans: [
              {
                traceId,
                spanId: randomBytes(8).toString('hex'),
                name: 'probe',
                startTimeUnixNano: now.toString(),
                endTimeUnixNano: (now + 1000n).toString(),
              },
            ],
          },
        ],
      },
    ],
  });
}

/**
 * Ingest-to-queryable latency: sends one-span traces to an OTLP/HTTP receiver and polls the
 * query API until each is readable; returns the quantiles of send-to-readable times.
 * @example await probeLatency({ otlpHttp: 'http://127.0.0.1:4318', api: 'http://127.0.0.1:8080', probes: 40 });
 */
export async function probeLatency({
  otlpHttp,
  api,
  probes,
  intervalMs = 250,
}: {
  otlpHttp: string;
  api: string;
  probes: number;
  intervalMs?: number;
}) {
  const latencies: number[] = [];
  let lost = 0;
  await Promise.all(
    Array.from({ length: probes }, async (_, i) => {
      await new Promise((r) => setTimeout(r, i * intervalMs));
      const traceId = randomBytes(16).toString('hex');
      const t0 = performance.now();
      const sent = await fetch(`${otlpHttp}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: probeBody(traceId),
      });
      await sent.arrayBuffer();
      if (sent.status !== 200) {
        lost++;
        return;
      }
      for (;;) {
        const response = await fetch(`${api}/v1/traces/${traceId}`);
        await response.arrayBuffer();
        if (response.status === 200) break;
        if (performance.now() - t0 > 30_000) {
          lost++;
          return;
        }
        await new Promise((r) => setTimeout(r, 10));
      }
      latencies.push(performance.now() - t0);
    }),
  );
  return { ...quantiles(latencies), probes, lost };
}
