import type { Http2Stream } from 'node:http2';
import type * as grpc from '@grpc/grpc-js';

/**
 * The HTTP/2 stream under a grpc-js server call, when it can be reached: grpc-js keeps it in its
 * base call's private `stream` field, and each interceptor's call wraps the one before in
 * `nextCall`. grpc-js has no public handle on it; without one, callers fall back to what grpc-js
 * does on its own.
 */
export function http2StreamOf(call: grpc.ServerInterceptingCallInterface): Http2Stream | undefined {
  let current: unknown = call;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth++) {
    const stream = (current as { stream?: unknown }).stream;
    if (
      typeof stream === 'object' &&
      stream !== null &&
      'close' in stream &&
      typeof stream.close === 'function'
    )
      return stream as Http2Stream;
    current = (current as { nextCall?: unknown }).nextCall;
  }
  return undefined;
}
