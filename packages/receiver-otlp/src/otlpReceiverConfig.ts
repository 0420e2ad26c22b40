import { defaultValueLimits } from '@llmp/otlp';
import { byteSize, duration, endpoint, tlsServerConfig } from '@llmp/pipeline';
import { z } from 'zod';

/** Config of the `otlp` receiver; every field has the default of the OTLP specification or the Collector. */
export const otlpReceiverConfig = z.object({
  grpc: z
    .object({
      enabled: z.boolean().default(true),
      endpoint: endpoint('0.0.0.0:4317'),
      /** TLS (and, with clientCaFile, client certificates); absent: plaintext (README, Security). */
      tls: tlsServerConfig,
      /** Largest message after decompression. */
      maxRecvMsgSize: byteSize(20 * 1024 ** 2),
      /**
       * Time a call has, from its headers, to send its whole request message; past it the call is
       * answered DEADLINE_EXCEEDED and its stream reset (the HTTP side's readTimeout). grpc-js has
       * no such bound: without it a stream that never finishes its message lives until its
       * connection ends (keepalive.maxConnectionAge + grace, unlimited by default).
       */
      readTimeout: duration(120_000),
      /**
       * Streams one connection may hold open at once (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS; Go's
       * HTTP/2 server, under the Collector, uses 250); past it a new stream is refused
       * (REFUSED_STREAM, which gRPC clients retry). A stream takes an in-flight slot only once its
       * message is whole, so unfinished streams cost their connection's streams, not other senders'.
       */
      maxConcurrentStreams: z.number().int().positive().default(250),
      /**
       * HTTP/2 receive windows (grpc-go's InitialWindowSize and InitialConnWindowSize): bytes a
       * sender may send on one stream, and on one connection in all, before the server has read
       * them. Node's default, 64 KiB for both, makes each large request wait for the server's
       * WINDOW_UPDATEs; grpc-go grows both up to 16 MiB. A connection buffers at most
       * `initialConnWindowSize` unread.
       */
      initialWindowSize: byteSize(1024 ** 2).refine((n) => n >= 65_535 && n <= 2 ** 31 - 1, {
        message: 'an HTTP/2 window is 65535 B to 2 GiB - 1',
      }),
      initialConnWindowSize: byteSize(8 * 1024 ** 2).refine((n) => n >= 65_535 && n <= 2 ** 31 - 1, {
        message: 'an HTTP/2 window is 65535 B to 2 GiB - 1',
      }),
      /**
       * The Collector's keepalive server parameters. `maxConnectionAge` ends a connection after
       * this long (GOAWAY: clients reconnect), and `maxConnectionAgeGrace` later cuts what is still
       * open on it — the bound on how long a stream that never finishes its message lives. 0 is
       * unlimited, as in the Collector; set both where senders are not trusted. `maxConnectionIdle`
       * closes a connection with no stream for this long.
       */
      keepalive: z
        .object({
          maxConnectionIdle: duration(0),
          maxConnectionAge: duration(0),
          maxConnectionAgeGrace: duration(0),
        })
        .prefault({}),
    })
    .prefault({}),
  http: z
    .object({
      enabled: z.boolean().default(true),
      endpoint: endpoint('0.0.0.0:4318'),
      /** TLS (and, with clientCaFile, client certificates); absent: plaintext (README, Security). */
      tls: tlsServerConfig,
      /** Largest body after decompression (the Collector's default is 20 MiB). */
      maxBodySize: byteSize(20 * 1024 ** 2),
      /** Time a connection has to send a request's headers (the Collector's ReadHeaderTimeout, 1 min). */
      readHeaderTimeout: duration(60_000),
      /**
       * Time a connection has to send a whole request, headers and body; past it the server answers
       * 408 and closes the connection. The body is read before the request takes an in-flight slot.
       */
      readTimeout: duration(120_000),
    })
    .prefault({}),
  /**
   * Requests worked on at once and the body bytes they hold (compressed plus inflated), over both
   * transports; past either bound a request is answered 429 / RESOURCE_EXHAUSTED with a retry delay.
   */
  maxInFlightRequests: z.number().int().positive().default(256),
  maxInFlightBytes: byteSize(256 * 1024 ** 2),
  /**
   * What one request may hold once decoded, in either encoding; past a bound the request is
   * refused whole with 400 / INVALID_ARGUMENT naming the bound (issue 16: memory, deep values).
   * maxValueDepth stays within what protobuf decoders nest (100 messages, 3 per kvlist level).
   */
  limits: z
    .object({
      maxValueDepth: z.number().int().min(1).max(30).default(defaultValueLimits.maxValueDepth),
      maxAttributes: z.number().int().positive().default(defaultValueLimits.maxAttributes),
      maxValueElements: z.number().int().positive().default(defaultValueLimits.maxValueElements),
      /**
       * Estimated memory of one request once decoded (80 B per protobuf message plus its bytes; JSON: 136 B per object and array plus 3 times its bytes);
       * also reserved in maxInFlightBytes while the request is worked on, so the receiver applies
       * the smaller of the two (a request that could never fit is refused, not retried forever).
       */
      maxDecodedBytes: byteSize(defaultValueLimits.maxDecodedBytes),
    })
    .prefault({}),
  /** How long shutdown waits for in-flight requests before closing connections. */
  shutdownTimeoutMs: z.number().int().positive().default(10_000),
});

export type OtlpReceiverConfig = z.infer<typeof otlpReceiverConfig>;
