import { metricsProtoTypes } from './metricsProtoTypes.ts';

const camel = (key: string) => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
const hexIdFields = new Set(['traceId', 'spanId']);

/** The parsed OTLP/JSON with protobuf field names and binary ids, as protobufjs' fromObject takes it. */
function normalise(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => normalise(v));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const name = camel(k);
      out[name] = normalise(v, name);
    }
    return out;
  }
  // OTLP/JSON carries trace and span ids as hex, not base64 ("JSON Protobuf Encoding").
  if (hexIdFields.has(key) && typeof value === 'string') return Buffer.from(value, 'hex');
  return value;
}

/**
 * An OTLP/JSON ExportMetricsServiceRequest as OTLP/protobuf, field for field: int and double
 * values stay what they were (as_int / as_double), metadata and every other field included.
 * The body must already have passed decodeJsonMetricsRequest (its bounds and checks).
 * @example producer.send(key, jsonMetricsToProtobuf('{"resourceMetrics":[]}'))
 */
export function jsonMetricsToProtobuf(body: string | Uint8Array): Uint8Array {
  const text =
    typeof body === 'string'
      ? body
      : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  const { request } = metricsProtoTypes();
  return request.encode(request.fromObject(normalise(JSON.parse(text)) as Record<string, unknown>)).finish();
}
