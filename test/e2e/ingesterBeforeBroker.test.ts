import { afterAll, describe, expect, it, onTestFailed } from 'vitest';
import { isolatedTopics, spanCounts, startGateway, startIngester } from '../support/distributedRoles.ts';
import { dedicatedKafkaBroker } from '../support/kafkaBroker.ts';
import type { LlmpProcess } from '../support/llmpProcess.ts';
import { otlpJsonTrace, postJson } from '../support/otlpJson.ts';
import { tempDir } from '../support/tempDir.ts';

// The broker is down when the ingester starts, so this suite has one of its own.
const kafka = await dedicatedKafkaBroker();
const dir = tempDir('ingester-before-broker');
const running: LlmpProcess[] = [];

afterAll(async () => {
  for (const p of running) await p.stop('SIGKILL');
  await kafka?.stop();
  dir.remove();
});

async function readyz(p: LlmpProcess): Promise<{ status: number; body: { reason?: string } }> {
  const response = await fetch(`http://127.0.0.1:${p.telemetryPort}/readyz`);
  return { status: response.status, body: (await response.json()) as { reason?: string } };
}

/** The first 200 of /readyz within `ms`, else the last status seen. */
async function readyWithin(p: LlmpProcess, ms: number): Promise<number> {
  const deadline = Date.now() + ms;
  let status = (await readyz(p)).status;
  while (status !== 200 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    status = (await readyz(p)).status;
  }
  return status;
}

describe.skipIf(!kafka)('an ingester started while Kafka is down', () => {
  it('stays up, is unready naming Kafka, and consumes once the broker is there', {
    timeout: 240_000,
  }, async () => {
    const brokers = kafka!.brokers.join(',');
    const topics = isolatedTopics('early');
    await kafka!.pause();
    // The role before the broker, as a compose or Kubernetes start order may have it.
    const ingester = await startIngester({ dataDir: `${dir.path}/ingester`, brokers, topics });
    running.push(ingester);
    onTestFailed(() => console.log(ingester.stderr(), ingester.logs.slice(-30)));

    // Up, not crashed, and /readyz says why it is not ready (the outage, by its broker address).
    expect(ingester.child.exitCode).toBeNull();
    const unready = await readyz(ingester);
    expect(unready.status).toBe(503);
    expect(unready.body.reason).toMatch(/Kafka/);
    // One line per consumer (one per signal's topic) says so; no stack trace goes to stderr.
    expect(ingester.stderr()).not.toMatch(/\n\s+at /);
    const waiting = ingester.logs
      .filter((l) => /will consume once Kafka is reachable/.test(String(l.msg)))
      .map((l) => String(l.topic));
    expect(waiting).toContain(topics.topic);
    expect(waiting).toContain(topics.logsTopic);
    expect(new Set(waiting).size).toBe(waiting.length);

    await kafka!.resume();
    const gateway = await startGateway({ dataDir: `${dir.path}/gateway`, brokers, topics });
    running.push(gateway);
    const { body, traceId } = otlpJsonTrace({ spans: 3 });
    expect((await postJson(gateway.httpPort, body)).status).toBe(200);
    // The ingester kept trying: the trace arrives, and it becomes ready.
    const counts = await spanCounts(ingester, [traceId], 3, 120_000);
    expect(counts.get(traceId)).toBe(3);
    // Ready once every consumer (spans, logs, metrics) is back: each retries on its own backoff
    // (receivers.kafka.reconnect, at most 30 s ± 50 %), so the spans may arrive before the
    // others have reconnected.
    expect(await readyWithin(ingester, 60_000)).toBe(200);
  });
});
