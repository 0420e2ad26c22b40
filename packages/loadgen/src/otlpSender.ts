import * as grpc from '@grpc/grpc-js';

export type Protocol = 'grpc' | 'http/protobuf' | 'http/json';

/** How a receiver answered one export. */
export interface SendOutcome {
  ok: boolean;
  /** True for answers the OTLP spec tells senders to retry (UNAVAILABLE, 429, 503 ...). */
  retryable: boolean;
  status: string;
}

export interface OtlpSender {
  protocol: Protocol;
  send(body: Uint8Array): Promise<SendOutcome>;
  close(): void;
}

const exportPath = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
const retryableGrpc = new Set([
  grpc.status.UNAVAILABLE,
  grpc.status.RESOURCE_EXHAUSTED,
  grpc.status.ABORTED,
  grpc.status.DEADLINE_EXCEEDED,
]);

export interface OtlpSenderOptions {
  timeoutMs?: number;
  /** Sent as `authorization: Bearer <key>` (HTTP header or gRPC metadata); none when undefined. */
  apiKey?: string | undefined;
}

/**
 * Sends already-encoded OTLP export requests to a receiver, over gRPC or HTTP.
 * @example const sender = otlpSender('http/protobuf', 'http://127.0.0.1:4318', { apiKey: 'k-1' });
 */
export function otlpSender(
  protocol: Protocol,
  endpoint: string,
  { timeoutMs = 30_000, apiKey }: OtlpSenderOptions = {},
): OtlpSender {
  const authorization = apiKey ? `Bearer ${apiKey}` : undefined;
  if (protocol === 'grpc') {
    const target = endpoint.replace(/^https?:\/\//, '');
    const client = new grpc.Client(target, grpc.credentials.createInsecure(), {
      'grpc.max_send_message_length': 64 * 1024 ** 2,
    });
    const metadata = new grpc.Metadata();
    if (authorization) metadata.set('authorization', authorization);
    return {
      protocol,
      send: (body) =>
        new Promise((resolve) => {
          client.makeUnaryRequest(
            exportPath,
            (b: Buffer) => b,
            (b: Buffer) => b,
            Buffer.from(body.buffer, body.byteOffset, body.byteLength),
            metadata,
            { deadline: Date.now() + timeoutMs },
            (error) => {
              if (!error) return resolve({ ok: true, retryable: false, status: 'OK' });
              resolve({
                ok: false,
                retryable: retryableGrpc.has(error.code),
                status: grpc.status[error.code] ?? String(error.code),
              });
            },
          );
        }),
      close: () => client.close(),
    };
  }
  const url = `${endpoint.replace(/\/$/, '')}/v1/traces`;
  const contentType = protocol === 'http/json' ? 'application/json' : 'application/x-protobuf';
  return {
    protocol,
    async send(body) {
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': contentType, ...(authorization ? { authorization } : {}) },
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
        await response.arrayBuffer();
        const retryable = [429, 502, 503, 504].includes(response.status);
        return { ok: response.status === 200, retryable, status: String(response.status) };
      } catch (error) {
        return { ok: false, retryable: true, status: (error as Error).name };
      }
    },
    close: () => undefined,
  };
}
