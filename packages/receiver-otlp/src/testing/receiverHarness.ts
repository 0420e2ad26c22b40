import { gzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import { decodeRpcStatus, type Span, type TraceBatch, type TraceRequest } from '@llmp/otlp';
import { stringAttr, testRequest, testSpan, testTraceId } from '@llmp/otlp/testing';
import type { Authenticate, Consumer, Registry } from '@llmp/pipeline';
import { nopSettings, sinkConsumer } from '@llmp/pipeline/testing';
import { traceServiceDefinition } from '../grpcTraceService.ts';
import { type OtlpReceiver, otlpReceiverFactory } from '../otlpReceiver.ts';
import { otlpReceiverConfig } from '../otlpReceiverConfig.ts';

export const traceId = testTraceId;

/** A span with every field set, as the protobuf decoder returns it. */
export function span(name: string, spanId: string, id = traceId): Span {
  return testSpan({
    traceId: id,
    spanId,
    flags: 1,
    name,
    kind: 3,
    startTimeUnixNano: 1700000000123456789n,
    endTimeUnixNano: 1700000000223456789n,
    attributes: [stringAttr('gen_ai.request.model', 'gpt-4o')],
  });
}

export function requestOf(...spans: Span[]): TraceRequest {
  return testRequest(spans, { resource: [stringAttr('service.name', 'checkout')], scopeName: 's' });
}

/** The exporter's stand-in (pipeline/testing's sink): `batches` it kept and the `spans` in them. */
export function memorySink() {
  const sink = sinkConsumer<TraceBatch>();
  return Object.assign(sink, {
    batches: sink.received,
    /** Spans stored so far. */
    spans: () => sink.received.reduce((n, b) => n + b.spanCount, 0),
  });
}

/** What one export call answered, over either transport. */
export interface Answer {
  /** HTTP status, or the gRPC status code. */
  status: number;
  message: string;
  retryAfterMs?: number | undefined;
  /** The OTLP response (protobuf bytes, or the parsed JSON) of a success. */
  body?: Uint8Array | Record<string, unknown>;
  contentType?: string | null;
}

const TraceServiceClient = grpc.makeGenericClientConstructor(traceServiceDefinition, 'TraceService');

export interface RunningReceiver {
  receiver: OtlpReceiver;
  registry: Registry;
  /** One gRPC Export with raw bytes; `gzip` compresses the message (grpc-encoding). */
  grpcExport(body: Uint8Array, options?: { gzip?: boolean; key?: string }): Promise<Answer>;
  /** One POST /v1/traces. */
  httpExport(
    body: Uint8Array | string,
    options?: { gzip?: boolean; key?: string; contentType?: string },
  ): Promise<Answer>;
  close(): Promise<void>;
}

/**
 * A real `otlp` receiver on 127.0.0.1 port 0 in front of `next`, with clients for both transports.
 * @example const r = await runReceiver(sink, { http: { maxBodySize: 1024 } });
 */
export async function runReceiver(
  next: Consumer<TraceBatch>,
  overrides: Record<string, unknown> = {},
  authenticate?: Authenticate,
): Promise<RunningReceiver> {
  const {
    grpc: grpcOverrides = {},
    http: httpOverrides = {},
    ...rest
  } = overrides as {
    grpc?: object;
    http?: object;
  };
  const config = otlpReceiverConfig.parse({
    ...rest,
    grpc: { endpoint: '127.0.0.1:0', ...grpcOverrides },
    http: { endpoint: '127.0.0.1:0', ...httpOverrides },
  });
  const settings = nopSettings('otlp', authenticate ? { authenticate } : {});
  const { registry } = settings;
  const receiver = otlpReceiverFactory.create(settings, config, next);
  await receiver.start();
  const { grpc: grpcPort, http: httpPort } = receiver.ports();
  const address = `127.0.0.1:${grpcPort}`;
  const plain = new TraceServiceClient(address, grpc.credentials.createInsecure());
  const gzip = new TraceServiceClient(address, grpc.credentials.createInsecure(), {
    'grpc.default_compression_algorithm': 2,
  });
  return {
    receiver,
    registry,
    grpcExport(body, { gzip: compress = false, key } = {}) {
      const metadata = new grpc.Metadata();
      if (key) metadata.set('authorization', `Bearer ${key}`);
      return new Promise((resolve) => {
        ((compress ? gzip : plain) as unknown as Record<string, (...args: unknown[]) => unknown>).Export!(
          Buffer.from(body),
          metadata,
          { deadline: Date.now() + 10_000 },
          (error: grpc.ServiceError | null, response?: Buffer) => {
            if (!error)
              return resolve({ status: grpc.status.OK, message: '', body: new Uint8Array(response!) });
            const [details] = error.metadata?.get('grpc-status-details-bin') ?? [];
            resolve({
              status: error.code,
              message: error.details,
              retryAfterMs: details ? decodeRpcStatus(details as Buffer).retryAfterMs : undefined,
            });
          },
        );
      });
    },
    async httpExport(body, { gzip: compress = false, key, contentType = 'application/x-protobuf' } = {}) {
      const headers: Record<string, string> = { 'content-type': contentType };
      if (key) headers['x-llmp-api-key'] = key;
      let payload = typeof body === 'string' ? Buffer.from(body) : body;
      if (compress) {
        payload = gzipSync(payload);
        headers['content-encoding'] = 'gzip';
      }
      const res = await fetch(`http://127.0.0.1:${httpPort}/v1/traces`, {
        method: 'POST',
        headers,
        body: payload,
      });
      const bytes = new Uint8Array(await res.arrayBuffer());
      const isJson = (res.headers.get('content-type') ?? '').includes('json');
      const parsed = isJson
        ? (JSON.parse(Buffer.from(bytes).toString()) as Record<string, unknown>)
        : undefined;
      const retryAfter = res.headers.get('retry-after');
      if (res.status === 200)
        return {
          status: 200,
          message: '',
          body: parsed ?? bytes,
          contentType: res.headers.get('content-type'),
        };
      const status = parsed
        ? { message: String(parsed.message ?? ''), retryAfterMs: undefined }
        : decodeRpcStatus(bytes);
      return {
        status: res.status,
        message: status.message,
        retryAfterMs: retryAfter ? Number(retryAfter) * 1000 : undefined,
        contentType: res.headers.get('content-type'),
      };
    },
    async close() {
      plain.close();
      gzip.close();
      await receiver.shutdown();
    },
  };
}
