import { protoTypes } from './protoTypes.ts';

/** gRPC status codes used by OTLP (google.rpc.Code). */
export const RpcCode = {
  OK: 0,
  INVALID_ARGUMENT: 3,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

const retryInfoTypeUrl = 'type.googleapis.com/google.rpc.RetryInfo';

// protobufjs serves google/protobuf/*.proto from its bundled JSON definitions, which keep the
// snake_case field names whatever `keepCase` says: google.protobuf.Any's field is `type_url`.
// Written as `typeUrl` it would be silently dropped and the detail could not be identified.
function retryInfoAny(retryAfterMs: number) {
  const { retryInfo } = protoTypes();
  const seconds = Math.floor(retryAfterMs / 1000);
  const value = retryInfo
    .encode(retryInfo.fromObject({ retryDelay: { seconds, nanos: (retryAfterMs % 1000) * 1e6 } }))
    .finish();
  return { type_url: retryInfoTypeUrl, value };
}

/**
 * A google.rpc.Status in protobuf, optionally with RetryInfo (OTLP "Throttling").
 * @example encodeRpcStatus({ code: RpcCode.UNAVAILABLE, message: 'queue full', retryAfterMs: 1000 })
 */
export function encodeRpcStatus(status: {
  code: number;
  message: string;
  retryAfterMs?: number | undefined;
}): Uint8Array {
  const { status: type } = protoTypes();
  const details = status.retryAfterMs !== undefined ? [retryInfoAny(status.retryAfterMs)] : [];
  return type.encode(type.fromObject({ code: status.code, message: status.message, details })).finish();
}

/**
 * Reads a google.rpc.Status, with the retry delay when a RetryInfo detail is present.
 * @example decodeRpcStatus(body).message
 */
export function decodeRpcStatus(bytes: Uint8Array): { code: number; message: string; retryAfterMs?: number } {
  const { status: type, retryInfo } = protoTypes();
  const status = type.toObject(type.decode(bytes), { longs: Number, defaults: true }) as {
    code: number;
    message: string;
    details: Array<{ type_url: string; value: Uint8Array }>;
  };
  const detail = status.details.find((d) => d.type_url === retryInfoTypeUrl);
  if (!detail) return { code: status.code, message: status.message };
  const info = retryInfo.toObject(retryInfo.decode(detail.value), { longs: Number, defaults: true }) as {
    retryDelay?: { seconds: number; nanos: number };
  };
  const delay = info.retryDelay ?? { seconds: 0, nanos: 0 };
  return {
    code: status.code,
    message: status.message,
    retryAfterMs: delay.seconds * 1000 + delay.nanos / 1e6,
  };
}
