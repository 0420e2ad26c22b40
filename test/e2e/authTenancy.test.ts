import { createHash } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LlmpProcess, startLlmp } from '../support/llmpProcess.ts';
import { otlpJsonTrace } from '../support/otlpJson.ts';
import { sendTrace } from '../support/sdkTrace.ts';
import { tempDir } from '../support/tempDir.ts';

// Keys are configured only as sha256 hashes, as README "Security and limits" documents.
const line = (key: string, project: string, role: string) =>
  `sha256:${createHash('sha256').update(key).digest('hex')}=${project}:${role}`;

const dir = tempDir('auth');
let llmp: LlmpProcess;

beforeAll(async () => {
  llmp = await startLlmp({
    dataDir: `${dir.path}/data`,
    // One key in the config file, the others from the environment: both sources count.
    extraYaml: `auth:\n  apiKeys:\n    - "${line('a-ingest', 'team-a', 'ingest')}"`,
    env: {
      LLMP_API_KEYS: [
        line('a-read', 'team-a', 'read'),
        line('b-ingest', 'team-b', 'ingest'),
        line('b-read', 'team-b', 'read'),
        line('b-admin', 'team-b', 'admin'),
      ].join(','),
    },
  });
});

afterAll(async () => {
  expect(await llmp?.stop()).toBe(0);
  dir.remove();
});

const read = (path: string, key?: string) =>
  fetch(
    `http://127.0.0.1:${llmp.apiPort}${path}`,
    key ? { headers: { authorization: `Bearer ${key}` } } : {},
  );

function grpcExporter(key?: string) {
  const metadata = new grpc.Metadata();
  if (key) metadata.set('authorization', `Bearer ${key}`);
  return new GrpcExporter({ url: `http://127.0.0.1:${llmp.grpcPort}`, metadata });
}
const protoExporter = (key?: string) =>
  new ProtoExporter({
    url: `http://127.0.0.1:${llmp.httpPort}/v1/traces`,
    headers: key ? { 'x-llmp-api-key': key } : {},
  });

describe('API keys and projects', () => {
  it("files spans under the sending key's project and shows them only to that project's keys", async () => {
    const a = await sendTrace(grpcExporter('a-ingest'), 'svc-a');
    const b = await sendTrace(protoExporter('b-ingest'), 'svc-b');
    expect(a.exporter.results.map((r) => r.code)).toEqual([ExportResultCode.SUCCESS]);
    expect(b.exporter.results.map((r) => r.code)).toEqual([ExportResultCode.SUCCESS]);

    const mine = await read(`/v1/traces/${a.traceId}`, 'a-read');
    expect(mine.status).toBe(200);
    const sentInTrace = a.spans.filter((s) => s.spanContext().traceId === a.traceId);
    expect(((await mine.json()) as { spans: unknown[] }).spans).toHaveLength(sentInTrace.length);
    expect((await read(`/v1/traces/${a.traceId}`, 'b-read')).status).toBe(404);
    expect((await read(`/v1/traces/${a.traceId}`, 'b-admin')).status).toBe(404);
    expect((await read(`/v1/traces/${b.traceId}`, 'a-read')).status).toBe(404);
    expect((await read(`/v1/traces/${b.traceId}`, 'b-read')).status).toBe(200);
  });

  it('takes the project from the key, never from what the spans say', async () => {
    const t = otlpJsonTrace({ service: 'claims-b' });
    const body = t.body.replace(
      '"attributes":[{"key":"service.name"',
      '"attributes":[{"key":"project_id","value":{"stringValue":"team-b"}},{"key":"llmp.project","value":{"stringValue":"team-b"}},{"key":"service.name"',
    );
    expect(body).toContain('llmp.project');
    const res = await fetch(`http://127.0.0.1:${llmp.httpPort}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-llmp-api-key': 'a-ingest' },
      body,
    });
    expect(res.status).toBe(200);
    expect((await read(`/v1/traces/${t.traceId}`, 'a-read')).status).toBe(200);
    expect((await read(`/v1/traces/${t.traceId}`, 'b-read')).status).toBe(404);
  });

  it('refuses to read without a key, with an unknown key, or with an ingest-only key', async () => {
    const { traceId } = otlpJsonTrace();
    expect((await read(`/v1/traces/${traceId}`)).status).toBe(401);
    expect((await read(`/v1/traces/${traceId}`, 'a-rea')).status).toBe(401);
    expect((await read(`/v1/traces/${traceId}`, 'a-ingest')).status).toBe(403);
  });

  it('refuses to ingest without a key or with a read-only key, over gRPC and HTTP, and stores nothing', async () => {
    // Real SDK spans, exported straight through each exporter to see its result.
    const { spans, traceId } = await sendTrace(new InMemorySpanExporter(), 'intruder');
    const exporters = [grpcExporter(), grpcExporter('a-read'), protoExporter(), protoExporter('a-read')];
    for (const exporter of exporters) {
      const result = await new Promise<ExportResult>((resolve) => exporter.export(spans, resolve));
      await exporter.shutdown();
      expect(result.code).toBe(ExportResultCode.FAILED);
      expect(String(result.error)).toMatch(/UNAUTHENTICATED|PERMISSION_DENIED|Unauthorized|Forbidden/);
    }
    expect((await read(`/v1/traces/${traceId}`, 'a-read')).status).toBe(404);
    const { body } = otlpJsonTrace();
    const res = await fetch(`http://127.0.0.1:${llmp.httpPort}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer a-read' },
      body,
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ code: 7 });
  });

  it('counts accepted and refused spans on /metrics, which needs no key', async () => {
    const text = await (await read('/metrics')).text();
    expect(text).toMatch(/llmp_receiver_accepted_spans_total\{receiver="otlp",transport="grpc"\} [1-9]/);
    expect(text).toMatch(
      /llmp_receiver_refused_requests_total\{receiver="otlp",transport="http",reason="forbidden"\} [1-9]/,
    );
    expect(text).toMatch(/llmp_exporter_sent_spans_total\{exporter="clickhouse"\} [1-9]/);
    expect(text).toContain('llmp_processor_pending_spans_capacity{processor="batch"} 200000');
    expect(text).toMatch(/^process_resident_memory_bytes [1-9]\d{6,}$/m);
    expect(text).toMatch(/^llmp_store_engine_memory_bytes [1-9]/m);
  });
});
