import { byteSize, duration, endpoint } from '@llmp/pipeline';
import { z } from 'zod';

/** Config of the `otlp` receiver; every field has the default of the OTLP specification or the Collector. */
export const otlpReceiverConfig = z.object({
  grpc: z
    .object({
      enabled: z.boolean().default(true),
      endpoint: endpoint('0.0.0.0:4317'),
      /** Largest message after decompression. */
      maxRecvMsgSize: byteSize(20 * 1024 ** 2),
    })
    .prefault({}),
  http: z
    .object({
      enabled: z.boolean().default(true),
      endpoint: endpoint('0.0.0.0:4318'),
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
  /** How long shutdown waits for in-flight requests before closing connections. */
  shutdownTimeoutMs: z.number().int().positive().default(10_000),
});

export type OtlpReceiverConfig = z.infer<typeof otlpReceiverConfig>;
