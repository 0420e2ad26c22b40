import { constants } from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { http2StreamOf } from './http2StreamOf.ts';

export interface GrpcReadDeadlineOptions {
  /** Time a call has, from its headers, to deliver its whole request message. */
  timeoutMs: number;
  /** Called once per call cut off at the deadline (to count it). */
  onExpired?: () => void;
}

/**
 * A server interceptor that ends a call whose request message is not fully in within `timeoutMs`
 * of its headers: the client gets DEADLINE_EXCEEDED and the stream is reset, so a sender that
 * trickles a message's DATA frames (or never finishes them) holds neither the stream nor the bytes
 * read so far. grpc-js itself waits for a unary message for ever unless the client set grpc-timeout.
 * @example new grpc.Server({ interceptors: [grpcReadDeadline({ timeoutMs: 120_000 })] })
 */
export function grpcReadDeadline({ timeoutMs, onExpired }: GrpcReadDeadlineOptions): grpc.ServerInterceptor {
  return (_method, call) => {
    let timer: NodeJS.Timeout | undefined;
    const clear = () => clearTimeout(timer);
    return new grpc.ServerInterceptingCall(call, {
      start(next) {
        timer = setTimeout(() => {
          onExpired?.();
          call.sendStatus({
            code: grpc.status.DEADLINE_EXCEEDED,
            details: `request message not received within the read deadline (${timeoutMs} ms)`,
          });
          // grpc-js answers but leaves the stream half-open, so the client could go on sending into
          // it and keep one of the connection's concurrent streams. RFC 9113 §8.1: after a complete
          // response a server may reset the stream with NO_ERROR to stop the request. grpc-js has no
          // public handle on the stream; without it the connection age bounds the stream instead.
          const stream = http2StreamOf(call);
          if (stream && !stream.closed) stream.close(constants.NGHTTP2_NO_ERROR);
        }, timeoutMs);
        next({
          onReceiveMessage(message, nextMessage) {
            clear();
            nextMessage(message);
          },
          onReceiveHalfClose(nextHalfClose) {
            clear();
            nextHalfClose();
          },
          onCancel: clear,
        });
      },
      sendStatus(status, nextStatus) {
        clear();
        nextStatus(status);
      },
    });
  };
}
