import { SpanStatusCode } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LlmpProcess, startLlmp } from '../support/llmpProcess.ts';
import { kindName, nanos, sendTrace } from '../support/sdkTrace.ts';
import { tempDir } from '../support/tempDir.ts';

interface ApiSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: string;
  serviceName: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  durationNs: string;
  status: { code: string; message: string };
  attributes: Record<string, unknown>;
  resourceAttributes: Record<string, unknown>;
  scope: { name: string; version: string };
  events: Array<{ name: string; timeUnixNano: string; attributes: Record<string, unknown> }>;
  links: Array<{ traceId: string; spanId: string; attributes: Record<string, unknown> }>;
  jobId: string | null;
  jobVersion: string | null;
  spanType: string | null;
  genAi: { provider: string | null; requestModel: string | null; inputTokens: number; outputTokens: number };
}

const dir = tempDir('sdk');
let llmp: LlmpProcess;

beforeAll(async () => {
  llmp = await startLlmp({ dataDir: `${dir.path}/data` });
});

afterAll(async () => {
  expect(await llmp?.stop()).toBe(0);
  dir.remove();
});

const exporters: Array<[string, () => SpanExporter]> = [
  [
    'OTLP/gRPC (exporter-trace-otlp-grpc)',
    () => new GrpcExporter({ url: `http://127.0.0.1:${llmp.grpcPort}` }),
  ],
  [
    'OTLP/HTTP protobuf (exporter-trace-otlp-proto)',
    () => new ProtoExporter({ url: `http://127.0.0.1:${llmp.httpPort}/v1/traces` }),
  ],
  [
    'OTLP/HTTP JSON (exporter-trace-otlp-http)',
    () => new JsonExporter({ url: `http://127.0.0.1:${llmp.httpPort}/v1/traces` }),
  ],
  [
    'OTLP/HTTP protobuf with gzip',
    () =>
      new ProtoExporter({ url: `http://127.0.0.1:${llmp.httpPort}/v1/traces`, compression: 'gzip' as never }),
  ],
  [
    'OTLP/gRPC with gzip',
    () => new GrpcExporter({ url: `http://127.0.0.1:${llmp.grpcPort}`, compression: 'gzip' as never }),
  ],
];

describe.each(exporters)('%s', (label, makeExporter) => {
  it('stores every span of the trace with its fields intact', async () => {
    const service = `e2e-${label.replace(/\W+/g, '-')}`;
    const sent = await sendTrace(makeExporter(), service);
    expect(sent.exporter.results.map((r) => r.code)).toEqual(
      sent.exporter.results.map(() => ExportResultCode.SUCCESS),
    );
    expect(sent.exporter.results.length).toBeGreaterThan(0);

    const response = await llmp.api(`/v1/traces/${sent.traceId}`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { traceId: string; spans: ApiSpan[] };
    expect(body.traceId).toBe(sent.traceId);

    const expected = sent.spans.filter((s) => s.spanContext().traceId === sent.traceId);
    expect(expected).toHaveLength(3);
    expect(body.spans).toHaveLength(3);
    for (const want of expected) {
      const got = body.spans.find((s) => s.spanId === want.spanContext().spanId);
      expect(got, want.name).toBeDefined();
      expect(got!.traceId).toBe(sent.traceId);
      expect(got!.parentSpanId).toBe(want.parentSpanContext?.spanId ?? '');
      expect(got!.name).toBe(want.name);
      expect(got!.kind).toBe(kindName(want.kind));
      expect(got!.serviceName).toBe(service);
      expect(got!.startTimeUnixNano).toBe(nanos(want.startTime));
      expect(got!.endTimeUnixNano).toBe(nanos(want.endTime));
      expect(BigInt(got!.durationNs)).toBe(BigInt(nanos(want.endTime)) - BigInt(nanos(want.startTime)));
      expect(got!.status.code).toBe(['UNSET', 'OK', 'ERROR'][want.status.code]);
      expect(got!.status.message).toBe(want.status.message ?? '');
      expect(got!.attributes).toEqual(want.attributes);
      expect(got!.resourceAttributes).toMatchObject(want.resource.attributes);
      expect(got!.scope).toMatchObject({ name: 'llmp-e2e', version: '1.2.3' });
      expect(got!.events.map((e) => e.name)).toEqual(want.events.map((e) => e.name));
      for (const [i, event] of want.events.entries()) {
        expect(got!.events[i]!.timeUnixNano).toBe(nanos(event.time));
        expect(got!.events[i]!.attributes).toEqual(event.attributes ?? {});
      }
      expect(got!.links).toEqual(
        want.links.map((l) =>
          expect.objectContaining({
            traceId: l.context.traceId,
            spanId: l.context.spanId,
            attributes: l.attributes,
          }),
        ),
      );
    }

    const llm = body.spans.find((s) => s.name === 'chat gpt-4o')!;
    expect(llm.jobId).toBe('job-e2e');
    expect(llm.jobVersion).toBe('2');
    expect(llm.spanType).toBe('llm');
    expect(llm.genAi).toMatchObject({
      provider: 'openai',
      requestModel: 'gpt-4o',
      inputTokens: 120,
      outputTokens: 30,
    });
    // Search and metrics see it in the running process (default range: the last 24 hours).
    const search = await llmp.api(`/v1/traces?service=${encodeURIComponent(service)}&jobId=job-e2e`);
    expect(search.status).toBe(200);
    const { traces } = (await search.json()) as {
      traces: Array<{
        traceId: string;
        rootName: string;
        spanCount: number;
        errorCount: number;
        inputTokens: number;
        costUsd: number;
      }>;
    };
    expect(traces).toHaveLength(1);
    expect(traces[0]).toMatchObject({
      traceId: sent.traceId,
      rootName: 'POST /chat',
      spanCount: 3,
      errorCount: 1,
      inputTokens: 120,
    });
    // gpt-4o from the repository price table: 120 × 2.50 + 30 × 10.00 USD per million tokens.
    expect(traces[0]!.costUsd).toBeCloseTo(0.0006, 12);
    const metrics = await llmp.api(`/v1/metrics?service=${encodeURIComponent(service)}&groupBy=spanType`);
    const { rows } = (await metrics.json()) as {
      rows: Array<{ group: { spanType: string }; count: number }>;
    };
    expect(rows.map((r) => [r.group.spanType, r.count])).toEqual([
      ['llm', 1],
      ['other', 3],
    ]);

    const tool = body.spans.find((s) => s.name === 'execute_tool search')!;
    expect(tool.status).toEqual({ code: 'ERROR', message: 'search backend down' });
    expect(tool.events[0]!.name).toBe('exception');
    expect(tool.events[0]!.attributes['exception.message']).toBe('search backend down');
    expect(SpanStatusCode.ERROR).toBe(2);
  });
});

describe('query API', () => {
  it('answers 404 with problem JSON for an unknown trace and 400 for a malformed id', async () => {
    const unknown = await llmp.api(`/v1/traces/${'ab'.repeat(16)}`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toContain('application/problem+json');
    expect(await unknown.json()).toMatchObject({ status: 404, title: 'Trace not found' });
    const malformed = await llmp.api('/v1/traces/not-a-trace-id');
    expect(malformed.status).toBe(400);
  });

  it('reports health and readiness', async () => {
    const health = await llmp.api('/healthz');
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({
      status: 'ok',
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
    });
    const ready = await llmp.api('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
    const openapi = (await (await llmp.api('/openapi.json')).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(openapi.paths)).toContain('/v1/traces/{traceId}');
  });
});
