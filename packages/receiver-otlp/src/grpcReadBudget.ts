import { constants } from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { refusal } from './grpcStatus.ts';
import { http2StreamOf } from './http2StreamOf.ts';
import type { InFlightLimit } from './inFlightLimit.ts';
import { overloadedError } from './overloadedError.ts';

export interface GrpcReadBudgetOptions {
  /** The receiver's in-flight bounds, shared with OTLP/HTTP. */
  limit: InFlightLimit;
  /** Called once per call refused because its bytes passed the bound (to count it). */
  onRefused?: () => void;
}

/**
 * A server interceptor that holds the bytes of a request message in the receiver's
 * `maxInFlightBytes` while grpc-js reads it, as OTLP/HTTP does with a body: grpc-js buffers a
 * message until it is whole (up to `maxRecvMsgSize`), so without it every concurrent stream could
 * hold that much unbounded. A call whose bytes do not fit is answered RESOURCE_EXHAUSTED with
 * RetryInfo (OTLP "Throttling") and its stream reset; the bytes go back once the message is in
 * (the handler then reserves the message and its decoded size) or the call ends.
 * @example new grpc.Server({ interceptors: [grpcReadBudget({ limit })] })
 */
export function grpcReadBudget({ limit, onRefused }: GrpcReadBudgetOptions): grpc.ServerInterceptor {
  return (_method, call) => {
    const stream = http2StreamOf(call);
    // Bytes only: the request slot is taken by the handler once the message is in.
    const ticket = limit.acquire(0, { slot: false });
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      stream?.off('data', count);
      ticket?.release();
    };
    function count(chunk: Buffer) {
      if (done || ticket?.grow(chunk.byteLength)) return;
      finish();
      onRefused?.();
      call.sendStatus(refusal(overloadedError()));
      // RFC 9113 §8.1: after a complete response the server may reset the stream with NO_ERROR
      // so the client stops sending the rest of the message.
      if (stream && !stream.closed) stream.close(constants.NGHTTP2_NO_ERROR);
    }
    // grpc-js paused the stream and reads it on demand; a second 'data' listener sees the same
    // chunks without changing that.
    stream?.on('data', count);
    return new grpc.ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMessage(message, nextMessage) {
            finish();
            nextMessage(message);
          },
          onCancel: finish,
        });
      },
      sendStatus(status, nextStatus) {
        finish();
        nextStatus(status);
      },
    });
  };
}
