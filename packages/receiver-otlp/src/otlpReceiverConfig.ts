import { byteSize, endpoint } from '@llmp/pipeline';
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
    })
    .prefault({}),
  /** How long shutdown waits for in-flight requests before closing connections. */
  shutdownTimeoutMs: z.number().int().positive().default(10_000),
});

export type OtlpReceiverConfig = z.infer<typeof otlpReceiverConfig>;
