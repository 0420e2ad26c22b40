import { otlpSender, runLoad } from '@llmp/loadgen';

/**
 * The load every scenario drives: `llmp loadgen -p grpc -t 20` against `url` (an OTLP/gRPC
 * endpoint), `rate` spans/s (0: as fast as acknowledged) with `concurrency` requests in flight
 * (`seed` picks another set of generated traces).
 * @example await benchLoad(`http://127.0.0.1:${llmp.grpcPort}`, { rate: 0, concurrency: 32, durationMs: 20_000 })
 */
export function benchLoad(
  url: string,
  load: { rate: number; concurrency: number; durationMs: number; seed?: number },
) {
  return runLoad({ sender: otlpSender('grpc', url), ...load, tracesPerRequest: 20 });
}
