import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanExporter, TracerProvider } from '@opentelemetry/sdk-trace';
import { describe, expect, it, onTestFailed } from 'vitest';
import { isolatedTopics, spanCounts, startGateway, startIngester } from '../support/distributedRoles.ts';
import { dedicatedKafkaBroker } from '../support/kafkaBroker.ts';
import { otlpJsonTrace, postJson } from '../support/otlpJson.ts';
import { processScope } from '../support/processScope.ts';
import { metricValue, waitForMetric } from '../support/selfMetric.ts';

// The broker is taken down mid-test, so this suite has one of its own, never the run's shared one.
const kafka = await dedicatedKafkaBroker();
const { dir, track } = processScope('broker-down', async () => kafka?.stop());

interface Answer {
  status: number;
  retryAfter: string | null;
}

/**
 * A pass-through HTTP proxy in front of the gateway that records every answer. The OTLP
 * exporter retries inside its transport and reports only the last outcome, so the retryable
 * answers a sender got are seen here, on the wire.
 */
async function answerRecorder(targetPort: number) {
  const answers: Answer[] = [];
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    try {
      const upstream = await fetch(`http://127.0.0.1:${targetPort}${request.url}`, {
        method: request.method ?? 'POST',
        headers: {
          'content-type': request.headers['content-type'] ?? 'application/x-protobuf',
          ...(request.headers['content-encoding']
            ? { 'content-encoding': request.headers['content-encoding'] }
            : {}),
        },
        body: Buffer.concat(chunks),
      });
      const body = Buffer.from(await upstream.arrayBuffer());
      const retryAfter = upstream.headers.get('retry-after');
      answers.push({ status: upstream.status, retryAfter });
      response.writeHead(upstream.status, {
        'content-type': upstream.headers.get('content-type') ?? 'application/x-protobuf',
        ...(retryAfter ? { 'retry-after': retryAfter } : {}),
      });
      response.end(body);
    } catch {
      // The gateway itself unreachable: not what this test is about, but let the SDK retry.
      answers.push({ status: 502, retryAfter: null });
      response.writeHead(502).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`,
    answers,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** Wraps an exporter to keep every export's outcome and size (the span processor swallows them). */
function outcomeRecorder(inner: SpanExporter) {
  const outcomes: Array<{ code: ExportResultCode; spans: number; error?: string }> = [];
  const exporter: SpanExporter = {
    export(spans, done) {
      inner.export(spans, (result) => {
        outcomes.push({
          code: result.code,
          spans: spans.length,
          ...(result.error ? { error: result.error.message } : {}),
        });
        done(result);
      });
    },
    shutdown: () => inner.shutdown(),
    forceFlush: () => inner.forceFlush?.() ?? Promise.resolve(),
  };
  return { exporter, outcomes };
}

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

describe.skipIf(!kafka)('broker down while a sender is exporting', () => {
  it('the sender gets retryable answers; after the restart and its retries every span is stored exactly once', {
    timeout: 300_000,
  }, async () => {
    const brokers = kafka!.brokers.join(',');
    const topics = isolatedTopics('brokerdown');
    const gateway = track(await startGateway({ dataDir: `${dir.path}/gateway`, brokers, topics }));
    const ingester = track(await startIngester({ dataDir: `${dir.path}/ingester`, brokers, topics }));
    const proxy = await answerRecorder(gateway.httpPort);
    onTestFailed(() => {
      for (const [role, p] of [
        ['gateway', gateway],
        ['ingester', ingester],
      ] as const) {
        const notable = p.logs.filter((l) => (l.level as number) >= 40).slice(-20);
        console.log(`${role} warnings and errors:\n${notable.map((l) => JSON.stringify(l)).join('\n')}`);
      }
    });

    // The real SDK path: TracerProvider → BatchSpanProcessor → OTLP/HTTP protobuf exporter. Its
    // built-in retries (up to 5, with backoff or the server's Retry-After) are bounded by
    // timeoutMillis, raised from 10 s so that they outlast the outage; the processor's export
    // timeout is raised above it so it never abandons a batch that is still being retried.
    const { exporter, outcomes } = outcomeRecorder(
      new ProtoExporter({ url: proxy.url, timeoutMillis: 90_000 }),
    );
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'broker-down-sender' }),
      spanProcessors: [
        new BatchSpanProcessor({
          exporter,
          scheduledDelayMillis: 200,
          maxExportBatchSize: 90,
          maxQueueSize: 10_000,
          exportTimeoutMillis: 120_000,
        }),
      ],
    });
    const tracer = provider.getTracer('llmp-broker-down');
    const traceIds: string[] = [];
    const sendTrace = () => {
      const index = traceIds.length;
      const root = tracer.startSpan('POST /run', {
        kind: SpanKind.SERVER,
        attributes: { 'trace.index': index },
      });
      const llm = tracer.startSpan(
        'chat gpt-4o',
        { kind: SpanKind.CLIENT },
        trace.setSpan(ROOT_CONTEXT, root),
      );
      const tool = tracer.startSpan('execute_tool search', {}, trace.setSpan(ROOT_CONTEXT, llm));
      tool.end();
      llm.end();
      root.end();
      traceIds.push(root.spanContext().traceId);
    };

    // A bounded sender: one 3-span trace every 100 ms until told to stop (at most 1000 traces).
    let sending = true;
    const sender = (async () => {
      while (sending && traceIds.length < 1000) {
        sendTrace();
        await sleep(100);
      }
    })();
    const phases = { before: 0, during: 0 };
    try {
      // Spans flow end to end before the outage: the first export was acknowledged.
      await until(() => outcomes.some((o) => o.code === ExportResultCode.SUCCESS), 30_000, 'a first export');
      // Traffic is flowing: the gateway has put ten traces on Kafka, as its /metrics says.
      const gatewayMetrics = `http://127.0.0.1:${gateway.telemetryPort}/metrics`;
      const onKafka = { exporter: 'kafka' };
      await waitForMetric(gatewayMetrics, 'llmp_exporter_sent_spans_total', onKafka, (v) => v >= 10 * 3);
      phases.before = traceIds.length;

      // A crash, not a clean shutdown: the broker gets no chance to finish what it was doing.
      await kafka!.pause('SIGKILL');
      const downAt = Date.now();
      // Straight to the gateway as well: the answer while Kafka is down is 503 with Retry-After
      // (OTLP/HTTP "Retryable response codes"), not a success and not a permanent error.
      const probe = await postJson(gateway.httpPort, otlpJsonTrace({ spans: 1 }).body);
      expect(probe.status).toBe(503);
      expect(probe.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
      // Down for longer than the gateway's Kafka send timeout (5 s), so that an export under
      // way when the broker died is answered while it is still down.
      await sleep(Math.max(0, 6000 - (Date.now() - downAt)));
      phases.during = traceIds.length - phases.before;
      await kafka!.resume();
      const outageMs = Date.now() - downAt;

      // Keep exporting after the recovery until the gateway puts new spans on Kafka again, then
      // flush what the SDK still holds.
      const sentAtResume = metricValue(
        await (await fetch(gatewayMetrics)).text(),
        'llmp_exporter_sent_spans_total',
        onKafka,
      );
      await waitForMetric(
        gatewayMetrics,
        'llmp_exporter_sent_spans_total',
        onKafka,
        (v) => v > sentAtResume,
        60_000,
      );
      sending = false;
      await sender;
      // Shutdown, not forceFlush: it also waits for an export that was already under way.
      await provider.shutdown();

      const retryable = proxy.answers.filter((a) => a.status === 503 && a.retryAfter !== null);
      const exported = outcomes
        .filter((o) => o.code === ExportResultCode.SUCCESS)
        .reduce((n, o) => n + o.spans, 0);
      const counts = await spanCounts(ingester, traceIds, 3, 120_000);
      const stored = [...counts.values()].reduce((a, b) => a + b, 0);
      const wrong = [...counts].filter(([, n]) => n !== 3);
      console.log(
        `broker down: ${traceIds.length} traces sent (${phases.before} before the outage, ${phases.during} during it), ` +
          `outage ${outageMs} ms, ${proxy.answers.length} answers to the SDK of which ${retryable.length} retryable ` +
          `(${proxy.answers.map((a) => a.status).join(' ')}), ${outcomes.length} exports reported ` +
          `(${exported} spans successful), ${stored} spans stored for ${traceIds.length * 3} created` +
          (wrong.length > 0 ? `; traces off: ${wrong.map(([id, n]) => `${id}=${n}`).join(', ')}` : ''),
      );

      // (a) While the broker was down the sender was told to retry (503 + Retry-After).
      expect(retryable.length).toBeGreaterThan(0);
      expect(
        proxy.answers.every((a) => a.status === 200 || (a.status === 503 && a.retryAfter !== null)),
      ).toBe(true);
      // The SDK's retries got every batch through in the end: nothing was given up on...
      expect(outcomes.filter((o) => o.code !== ExportResultCode.SUCCESS)).toEqual([]);
      expect(exported).toBe(traceIds.length * 3);
      // (b) ...and every span created is stored exactly once: no loss, no duplicate. A count of 6
      // is a request the gateway answered 503 whose records reached Kafka anyway, then resent.
      expect(wrong).toEqual([]);
      expect(stored).toBe(traceIds.length * 3);
    } finally {
      sending = false;
      await sender;
      await provider.shutdown().catch(() => undefined);
      await proxy.close();
    }
  });
});
