import { traceRecords } from '@llmp/kafka';
import { encodeRequests } from '@llmp/loadgen';
import { defaultValueLimits, screenProtobufRequest } from '@llmp/otlp';
import { median } from './quantiles.ts';

/**
 * gateway-hot-path (only when named): the gateway's own work on a request, without gRPC or Kafka:
 * OTLP/protobuf bytes screened at every depth with the preset's value limits
 * (`screenProtobufRequest`) and cut into one record per trace (`traceRecords`), on loadgen's LLM
 * traces (20 per request) and on telemetrygen-sized requests (1 trace per request); CPU-s per
 * million spans, median of `rounds` passes.
 */
export function gatewayHotPathScenario({ rounds }: { rounds: number }) {
  const shapes = { llm: 20, small: 1 };
  const result: Record<string, number> = {};
  for (const [shape, tracesPerRequest] of Object.entries(shapes)) {
    const requests = encodeRequests('grpc', { count: 50, tracesPerRequest }).map((r) => Buffer.from(r.body));
    let spans = 0;
    const pass = () => {
      spans = 0;
      for (const body of requests) {
        const { accepted, acceptedSpans } = screenProtobufRequest(body, defaultValueLimits);
        traceRecords(accepted, 1_000_000);
        spans += acceptedSpans;
      }
    };
    for (let i = 0; i < 20; i++) pass();
    const perMillion: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const cpu0 = process.cpuUsage();
      for (let i = 0; i < 100; i++) pass();
      const cpu = process.cpuUsage(cpu0);
      perMillion.push((cpu.user + cpu.system) / 1e6 / ((spans * 100) / 1e6));
    }
    result[`${shape}CpuSecondsPerMillionSpans`] = Math.round(median(perMillion) * 1000) / 1000;
  }
  return {
    scenario: 'gateway-hot-path',
    command: `screenProtobufRequest + traceRecords on loadgen requests (20 traces) and 1-trace requests, × ${rounds}`,
    ...result,
  };
}
