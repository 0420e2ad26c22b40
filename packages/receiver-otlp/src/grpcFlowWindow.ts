import type { Http2Session } from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { http2StreamOf } from './http2StreamOf.ts';

export interface GrpcFlowWindowOptions {
  /** SETTINGS_INITIAL_WINDOW_SIZE: bytes a sender may send on one stream before the server reads them. */
  streamWindow: number;
  /** The connection's receive window: bytes all of its streams together may have unread. */
  connectionWindow: number;
}

/**
 * A server interceptor that widens the HTTP/2 receive windows of each connection at its first
 * call. grpc-js keeps Node's defaults (65 535 B per stream and per connection, RFC 9113 §6.9.2)
 * and has no server option for them, so a client sending several 200 KB requests at once on one
 * connection sends 64 KiB, then waits for a WINDOW_UPDATE from the server's event loop, again and
 * again: under loadgen's LLM load that wait was ~60 % of a request's time in the gateway
 * (docs/benchmarks.md, gwlatency). grpc-go, under the Collector, grows both windows up to 16 MiB
 * from its bandwidth-delay estimate; fixed windows bound what a connection may buffer unread.
 * @example new grpc.Server({ interceptors: [grpcFlowWindow({ streamWindow: 1 << 20, connectionWindow: 8 << 20 })] })
 */
export function grpcFlowWindow({
  streamWindow,
  connectionWindow,
}: GrpcFlowWindowOptions): grpc.ServerInterceptor {
  const widened = new WeakSet<Http2Session>();
  return (_method, call) => {
    const session = http2StreamOf(call)?.session;
    if (session && !session.destroyed && !widened.has(session)) {
      widened.add(session);
      try {
        // Sends a connection-level WINDOW_UPDATE now and SETTINGS for every stream (RFC 9113 §6.9.2:
        // the new initial size also applies to streams already open).
        session.setLocalWindowSize(connectionWindow);
        session.settings({ initialWindowSize: streamWindow });
      } catch {
        // A session closing meanwhile keeps its windows; the call goes on as grpc-js would have.
      }
    }
    return new grpc.ServerInterceptingCall(call);
  };
}
