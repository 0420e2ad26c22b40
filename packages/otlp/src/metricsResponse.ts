import { metricsProtoTypes } from './metricsProtoTypes.ts';

/** What an ExportMetricsServiceResponse reports. */
export interface MetricsOutcome {
  rejectedDataPoints: number;
  errorMessage: string;
}

// OTLP specification, "Partial Success": set only when something was rejected or there is a warning.
const partial = (o: MetricsOutcome) => o.rejectedDataPoints > 0 || o.errorMessage !== '';

/**
 * The OTLP/protobuf ExportMetricsServiceResponse: partial success only when something was rejected.
 * @example encodeMetricsResponse({ rejectedDataPoints: 0, errorMessage: '' })
 */
export function encodeMetricsResponse(outcome: MetricsOutcome): Uint8Array {
  const { response } = metricsProtoTypes();
  const plain = partial(outcome)
    ? {
        partialSuccess: {
          rejectedDataPoints: String(outcome.rejectedDataPoints),
          errorMessage: outcome.errorMessage,
        },
      }
    : {};
  return response.encode(response.fromObject(plain)).finish();
}

/**
 * The OTLP/JSON ExportMetricsServiceResponse (int64 as a decimal string).
 * @example c.json(jsonMetricsResponse(outcome))
 */
export function jsonMetricsResponse(outcome: MetricsOutcome): Record<string, unknown> {
  if (!partial(outcome)) return {};
  return {
    partialSuccess: {
      rejectedDataPoints: String(outcome.rejectedDataPoints),
      errorMessage: outcome.errorMessage,
    },
  };
}
