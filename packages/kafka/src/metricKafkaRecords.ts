import type { MetricsRequest } from '@llmp/otlp';

/** One Kafka record of the `otlp_metrics` topic. */
export interface MetricKafkaRecord {
  /**
   * The `service.name` of the record's resources (`unknown_service` when one has none), so one
   * service's points stay in order on one partition, as the Collector's kafkaexporter does with
   * `partition_metrics_by_resource_attributes`.
   */
  key: string;
  /** OTLP/protobuf ExportMetricsServiceRequest holding this key's resources only (`otlp_proto`). */
  value: Uint8Array;
}

/** A single ResourceMetrics whose Kafka record alone exceeds the size bound. */
export class OversizedResourceMetricsError extends Error {
  readonly key: string;
  readonly size: number;
  constructor(key: string, size: number) {
    super(`the metrics of one resource (key ${key}) encode to ${size} bytes, over the record limit`);
    this.name = 'OversizedResourceMetricsError';
    this.key = key;
    this.size = size;
  }
}

/** The request's bytes do not match its decoded model (a bug upstream, not the sender's). */
export class WireMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WireMismatchError';
  }
}

function readVarint(bytes: Uint8Array, at: number): [value: number, next: number] {
  let value = 0;
  let shift = 0;
  for (let i = at; i < bytes.length; i++) {
    const b = bytes[i]!;
    value += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return [value, i + 1];
    shift += 7;
    if (shift > 63) break;
  }
  throw new WireMismatchError('truncated varint in an ExportMetricsServiceRequest');
}

const varintSize = (n: number) => {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
};

function writeVarint(out: Uint8Array, at: number, n: number): number {
  while (n >= 0x80) {
    out[at++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  out[at++] = n;
  return at;
}

/**
 * The `resource_metrics` (field 1) entries of an encoded ExportMetricsServiceRequest, as views
 * of `bytes`; other fields (none defined today) are skipped.
 */
function resourceEntries(bytes: Uint8Array): Uint8Array[] {
  const entries: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    const [tag, afterTag] = readVarint(bytes, at);
    const wireType = tag & 7;
    if (wireType === 0) [, at] = readVarint(bytes, afterTag);
    else if (wireType === 1) at = afterTag + 8;
    else if (wireType === 5) at = afterTag + 4;
    else if (wireType === 2) {
      const [length, start] = readVarint(bytes, afterTag);
      at = start + length;
      if (at > bytes.length) throw new WireMismatchError('truncated field in an ExportMetricsServiceRequest');
      if (tag >>> 3 === 1) entries.push(bytes.subarray(start, at));
    } else throw new WireMismatchError(`wire type ${wireType} in an ExportMetricsServiceRequest`);
  }
  return entries;
}

const serviceOf = (request: MetricsRequest, r: number): string => {
  const found = request.resourceMetrics[r]!.resource.attributes.find((kv) => kv.key === 'service.name');
  return found?.value.type === 'string' && found.value.value !== '' ? found.value.value : 'unknown_service';
};

const entrySize = (entry: Uint8Array) => 1 + varintSize(entry.byteLength) + entry.byteLength;

function encodeEntries(entries: Uint8Array[]): Uint8Array {
  const out = Buffer.allocUnsafe(entries.reduce((n, e) => n + entrySize(e), 0));
  let at = 0;
  for (const entry of entries) {
    out[at++] = 0x0a; // field 1, length-delimited
    at = writeVarint(out, at, entry.byteLength);
    out.set(entry, at);
    at += entry.byteLength;
  }
  return out;
}

/**
 * Splits a metrics request into records per `service.name` of its resources, each value a
 * self-contained OTLP/protobuf ExportMetricsServiceRequest (`otlp_proto`) made of the
 * sender's own ResourceMetrics bytes, so int and double values, metadata and unknown fields
 * travel exactly as sent; a service's resources fill records up to `maxRecordBytes`.
 * `request` is the decoded model of `wire` (its resources in the same order), for the keys.
 * @throws OversizedResourceMetricsError when one resource alone cannot fit a record.
 * @example for (const r of metricKafkaRecords(batch.wire(), batch.request, 1_000_000)) producer.send(r.key, r.value)
 */
export function metricKafkaRecords(
  wire: Uint8Array,
  request: MetricsRequest,
  maxRecordBytes: number,
): MetricKafkaRecord[] {
  const entries = resourceEntries(wire);
  if (entries.length !== request.resourceMetrics.length)
    throw new WireMismatchError(
      `${entries.length} resources on the wire, ${request.resourceMetrics.length} decoded`,
    );
  const byKey = new Map<string, Uint8Array[][]>();
  entries.forEach((entry, r) => {
    const key = serviceOf(request, r);
    const size = entrySize(entry);
    if (size > maxRecordBytes) throw new OversizedResourceMetricsError(key, size);
    const groups = byKey.get(key) ?? [];
    if (groups.length === 0) byKey.set(key, groups);
    const last = groups.at(-1);
    if (last && last.reduce((n, e) => n + entrySize(e), 0) + size <= maxRecordBytes) last.push(entry);
    else groups.push([entry]);
  });
  const records: MetricKafkaRecord[] = [];
  for (const [key, groups] of byKey)
    for (const group of groups) records.push({ key, value: encodeEntries(group) });
  return records;
}
