import { request } from 'node:https';
import * as grpc from '@grpc/grpc-js';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { InMemorySpanExporter, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LlmpProcess, startLlmp } from '../support/llmpProcess.ts';
import { sendTrace } from '../support/sdkTrace.ts';
import { tempDir } from '../support/tempDir.ts';
import { type TestCertificates, testCertificates } from '../support/testCertificates.ts';

/** GET over HTTPS with node's own client, trusting the test CA; the status and body. */
function httpsGet(
  port: number,
  path: string,
  tls: { ca: Buffer; cert?: Buffer; key?: Buffer },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', ...tls }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function exportWith(exporter: SpanExporter, spans: ReadableSpan[]): Promise<ExportResult> {
  const result = await new Promise<ExportResult>((resolve) => exporter.export(spans, resolve));
  await exporter.shutdown();
  return result;
}

describe('TLS on the OTLP receivers and the query API (llmp start, certificates made by the test)', () => {
  const dir = tempDir('tls');
  let certs: TestCertificates;
  let llmp: LlmpProcess;

  beforeAll(async () => {
    certs = testCertificates(dir.path);
    const { ca, serverCert, serverKey } = certs.files;
    const tls = { certFile: serverCert, keyFile: serverKey };
    llmp = await startLlmp({
      dataDir: `${dir.path}/data`,
      // gRPC and the query API: TLS; OTLP/HTTP: TLS with client certificates (mTLS).
      otlp: { grpc: { tls }, http: { tls: { ...tls, clientCaFile: ca } } },
      query: { tls },
    });
  }, 120_000);

  afterAll(async () => {
    await llmp?.stop();
    dir.remove();
  });

  it('takes spans from the SDK gRPC exporter over TLS and refuses a plaintext gRPC client', async () => {
    const sent = await sendTrace(
      new GrpcExporter({
        url: `https://127.0.0.1:${llmp.grpcPort}`,
        credentials: grpc.credentials.createSsl(certs.ca),
      }),
      'tls-grpc',
    );
    expect(sent.exporter.results.map((r) => r.code)).toEqual([ExportResultCode.SUCCESS]);

    const { spans } = await sendTrace(new InMemorySpanExporter(), 'plaintext-grpc');
    const plaintext = await exportWith(
      new GrpcExporter({
        url: `http://127.0.0.1:${llmp.grpcPort}`,
        credentials: grpc.credentials.createInsecure(),
        timeoutMillis: 5000,
      }),
      spans,
    );
    expect(plaintext.code).toBe(ExportResultCode.FAILED);
  });

  it('takes spans from the SDK HTTP exporter with a client certificate and refuses one without', async () => {
    const sent = await sendTrace(
      new ProtoExporter({
        url: `https://127.0.0.1:${llmp.httpPort}/v1/traces`,
        httpAgentOptions: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey },
      }),
      'mtls-http',
    );
    expect(sent.exporter.results.map((r) => r.code)).toEqual([ExportResultCode.SUCCESS]);

    const { spans } = await sendTrace(new InMemorySpanExporter(), 'no-client-cert');
    const withoutCert = await exportWith(
      new ProtoExporter({
        url: `https://127.0.0.1:${llmp.httpPort}/v1/traces`,
        httpAgentOptions: { ca: certs.ca },
        timeoutMillis: 5000,
      }),
      spans,
    );
    expect(withoutCert.code).toBe(ExportResultCode.FAILED);
    const plaintext = await exportWith(
      new ProtoExporter({ url: `http://127.0.0.1:${llmp.httpPort}/v1/traces`, timeoutMillis: 5000 }),
      spans,
    );
    expect(plaintext.code).toBe(ExportResultCode.FAILED);
  });

  it('serves the query API over HTTPS to a client trusting the CA, and not in plaintext', async () => {
    const sent = await sendTrace(
      new GrpcExporter({
        url: `https://127.0.0.1:${llmp.grpcPort}`,
        credentials: grpc.credentials.createSsl(certs.ca),
      }),
      'tls-read',
    );
    expect(sent.exporter.results.map((r) => r.code)).toEqual([ExportResultCode.SUCCESS]);
    const read = await httpsGet(llmp.apiPort, `/v1/traces/${sent.traceId}`, { ca: certs.ca });
    expect(read.status).toBe(200);
    const inTrace = sent.spans.filter((s) => s.spanContext().traceId === sent.traceId);
    expect((JSON.parse(read.body) as { spans: unknown[] }).spans).toHaveLength(inTrace.length);
    await expect(fetch(`http://127.0.0.1:${llmp.apiPort}/healthz`)).rejects.toThrow();
  });
});

describe('client certificates (mTLS) on OTLP gRPC and the query API', () => {
  const dir = tempDir('mtls');
  let certs: TestCertificates;
  let llmp: LlmpProcess;

  beforeAll(async () => {
    certs = testCertificates(dir.path);
    const { ca, serverCert, serverKey } = certs.files;
    const tls = { certFile: serverCert, keyFile: serverKey, clientCaFile: ca, minVersion: '1.3' };
    llmp = await startLlmp({ dataDir: `${dir.path}/data`, otlp: { grpc: { tls } }, query: { tls } });
  }, 120_000);

  afterAll(async () => {
    await llmp?.stop();
    dir.remove();
  });

  it('takes spans from a gRPC exporter with a client certificate and refuses one without', async () => {
    const sent = await sendTrace(
      new GrpcExporter({
        url: `https://127.0.0.1:${llmp.grpcPort}`,
        credentials: grpc.credentials.createSsl(certs.ca, certs.clientKey, certs.clientCert),
      }),
      'mtls-grpc',
    );
    expect(sent.exporter.results.map((r) => r.code)).toEqual([ExportResultCode.SUCCESS]);

    const { spans } = await sendTrace(new InMemorySpanExporter(), 'no-client-cert');
    const withoutCert = await exportWith(
      new GrpcExporter({
        url: `https://127.0.0.1:${llmp.grpcPort}`,
        credentials: grpc.credentials.createSsl(certs.ca),
        timeoutMillis: 5000,
      }),
      spans,
    );
    expect(withoutCert.code).toBe(ExportResultCode.FAILED);

    const read = await httpsGet(llmp.apiPort, `/v1/traces/${sent.traceId}`, {
      ca: certs.ca,
      cert: certs.clientCert,
      key: certs.clientKey,
    });
    expect(read.status).toBe(200);
    await expect(httpsGet(llmp.apiPort, '/healthz', { ca: certs.ca })).rejects.toThrow();
  });
});
