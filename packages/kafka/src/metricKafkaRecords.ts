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

/**
 * A single data point (with its metric's fields, its scope and resource) whose Kafka record
 * alone exceeds the size bound: the one thing that cannot be cut further.
 */
export class OversizedResourceMetricsError extends Error {
  readonly key: string;
  readonly size: number;
  constructor(key: string, size: number) {
    super(
      `a data point of key ${key} encodes to ${size} bytes with its metric, scope and resource, over the record limit`,
    );
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

/** One field of an encoded message: its number, its whole bytes (tag and value), its payload. */
interface WireField {
  field: number;
  raw: Uint8Array;
  /** The value of a length-delimited field (a message, string or bytes). */
  payload?: Uint8Array;
}

/** The top-level fields of an encoded message, as views of `bytes`. */
function wireFields(bytes: Uint8Array): WireField[] {
  const fields: WireField[] = [];
  let at = 0;
  while (at < bytes.length) {
    const start = at;
    const [tag, afterTag] = readVarint(bytes, at);
    const wireType = tag % 8;
    let payload: Uint8Array | undefined;
    if (wireType === 0) [, at] = readVarint(bytes, afterTag);
    else if (wireType === 1) at = afterTag + 8;
    else if (wireType === 5) at = afterTag + 4;
    else if (wireType === 2) {
      const [length, valueStart] = readVarint(bytes, afterTag);
      at = valueStart + length;
      payload = bytes.subarray(valueStart, at);
    } else throw new WireMismatchError(`wire type ${wireType} in an OTLP metrics message`);
    if (at > bytes.length) throw new WireMismatchError('truncated field in an OTLP metrics message');
    fields.push({
      field: Math.floor(tag / 8),
      raw: bytes.subarray(start, at),
      ...(payload ? { payload } : {}),
    });
  }
  return fields;
}

/** The `resource_metrics` (field 1) entries of an encoded ExportMetricsServiceRequest. */
const resourceEntries = (bytes: Uint8Array): Uint8Array[] =>
  wireFields(bytes).flatMap((f) => (f.field === 1 && f.payload ? [f.payload] : []));

/** Bytes of a length-delimited field 1 or 2 holding `length` bytes (tag, length, value). */
const entrySize = (length: number) => 1 + varintSize(length) + length;

/** Writes a length-delimited field (number < 16) holding `parts` one after the other. */
function writeEntry(out: Uint8Array, at: number, field: number, parts: Uint8Array[]): number {
  const length = parts.reduce((n, p) => n + p.byteLength, 0);
  out[at++] = (field << 3) | 2;
  at = writeVarint(out, at, length);
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return at;
}

/**
 * Metric fields holding its data (gauge 5, sum 7, histogram 9, exponential_histogram 10,
 * summary 11); in each, data_points is field 1 and the rest (aggregation_temporality,
 * is_monotonic) describes every point.
 */
const dataFields = new Set([5, 7, 9, 10, 11]);

/**
 * A Metric too big for a record as several Metrics of at most `maxBytes` each: every one keeps
 * the metric's own fields (name, description, unit, metadata) and its data's (temporality,
 * monotonicity) as sent, and holds whole data points of it, in order. In the OpenTelemetry
 * metrics data model each point carries its own attributes and times (its timeseries), so the
 * parts are the same data (the Collector's batch processor cuts a metric between its points too,
 * where send_batch_max_size counts data points).
 * @throws OversizedResourceMetricsError when one data point alone is over `maxBytes`.
 */
function splitMetric(metric: Uint8Array, maxBytes: number, key: string, fullSize: (n: number) => number) {
  const fields = wireFields(metric);
  const data = fields.filter((f) => dataFields.has(f.field) && f.payload);
  // No data (or, against the spec's oneof, two data fields): nothing to cut between.
  if (data.length !== 1) throw new OversizedResourceMetricsError(key, fullSize(metric.byteLength));
  const [{ field: dataField, payload }] = data as [WireField & { payload: Uint8Array }];
  const head = fields.filter((f) => !dataFields.has(f.field)).map((f) => f.raw);
  const headSize = head.reduce((n, h) => n + h.byteLength, 0);
  const dataFieldsOf = wireFields(payload);
  const dataHead = dataFieldsOf.filter((f) => f.field !== 1).map((f) => f.raw);
  const dataHeadSize = dataHead.reduce((n, h) => n + h.byteLength, 0);
  const points = dataFieldsOf.flatMap((f) => (f.field === 1 && f.payload ? [f.payload] : []));
  // Too big without a single point (its name, description or metadata): refused, never dropped.
  if (points.length === 0) throw new OversizedResourceMetricsError(key, fullSize(metric.byteLength));
  const pieceSize = (pointsSize: number) => headSize + entrySize(dataHeadSize + pointsSize);
  const pieces: Uint8Array[] = [];
  let taken: Uint8Array[] = [];
  let takenSize = 0;
  const flush = () => {
    const pointEntries = taken.map((p) => {
      const e = new Uint8Array(entrySize(p.byteLength));
      writeEntry(e, 0, 1, [p]);
      return e;
    });
    const out = new Uint8Array(pieceSize(takenSize));
    let at = 0;
    for (const h of head) {
      out.set(h, at);
      at += h.byteLength;
    }
    writeEntry(out, at, dataField, [...dataHead, ...pointEntries]);
    pieces.push(out);
    taken = [];
    takenSize = 0;
  };
  for (const point of points) {
    const size = entrySize(point.byteLength);
    if (taken.length > 0 && pieceSize(takenSize + size) > maxBytes) flush();
    if (pieceSize(size) > maxBytes) throw new OversizedResourceMetricsError(key, fullSize(pieceSize(size)));
    taken.push(point);
    takenSize += size;
  }
  if (taken.length > 0) flush();
  return pieces;
}

/** A scope's fields other than its metrics (scope, schema_url …), and its metrics' bytes. */
interface ScopePart {
  head: Uint8Array[];
  headSize: number;
  metrics: Uint8Array[];
}

/**
 * A ResourceMetrics too big for one record as several, each at most `maxBytes` as a request
 * entry: every part repeats the resource and its scope (all fields but the metrics, as sent)
 * and holds whole Metrics of it, in order (OTLP: a Metric belongs to its scope and resource,
 * not to the request, so the parts are the same data).
 */
function splitResource(entry: Uint8Array, maxBytes: number, key: string): Uint8Array[] {
  const fields = wireFields(entry);
  const head = fields.filter((f) => f.field !== 2).map((f) => f.raw);
  const headSize = head.reduce((n, h) => n + h.byteLength, 0);
  const scopes: ScopePart[] = fields
    .filter((f) => f.field === 2 && f.payload)
    .map((f) => {
      const scopeFields = wireFields(f.payload!);
      const scopeHead = scopeFields.filter((s) => s.field !== 2).map((s) => s.raw);
      const scopeHeadSize = scopeHead.reduce((n, h) => n + h.byteLength, 0);
      // The request bytes of a part holding one metric of `n` bytes alone.
      const alone = (n: number) => entrySize(headSize + entrySize(scopeHeadSize + entrySize(n)));
      // The largest metric that fits a part alone: each entry adds its tag and length.
      let budget = maxBytes - headSize - scopeHeadSize - 3 * (1 + varintSize(maxBytes));
      while (budget > 0 && alone(budget + 1) <= maxBytes) budget++;
      return {
        head: scopeHead,
        headSize: scopeHeadSize,
        // A metric too big for a part alone is cut between its data points.
        metrics: scopeFields.flatMap((s) =>
          s.field === 2 && s.payload
            ? alone(s.payload.byteLength) > maxBytes
              ? splitMetric(s.payload, budget, key, alone)
              : [s.payload]
            : [],
        ),
      };
    });
  const parts: Uint8Array[] = [];
  // The part being filled: its scopes, each with the metrics taken so far.
  let groups: Array<{ scope: ScopePart; metrics: Uint8Array[]; size: number }> = [];
  let closed = 0;
  const size = (extraScope?: number) => {
    const last = groups.at(-1);
    const payload =
      headSize +
      closed +
      (last ? entrySize(last.size) : 0) +
      (extraScope === undefined ? 0 : entrySize(extraScope));
    return entrySize(payload);
  };
  const flush = () => {
    const scopeEntries = groups.map((g) => {
      const out = new Uint8Array(entrySize(g.size));
      writeEntry(out, 0, 2, [
        ...g.scope.head,
        ...g.metrics.map((m) => {
          const e = new Uint8Array(entrySize(m.byteLength));
          writeEntry(e, 0, 2, [m]);
          return e;
        }),
      ]);
      return out;
    });
    const all = [...head, ...scopeEntries];
    const out = new Uint8Array(all.reduce((n, p) => n + p.byteLength, 0));
    let at = 0;
    for (const p of all) {
      out.set(p, at);
      at += p.byteLength;
    }
    parts.push(out);
    groups = [];
    closed = 0;
  };
  for (const scope of scopes) {
    for (const metric of scope.metrics) {
      const m = entrySize(metric.byteLength);
      const last = groups.at(-1);
      const fits =
        last?.scope === scope
          ? entrySize(headSize + closed + entrySize(last.size + m)) <= maxBytes
          : size(scope.headSize + m) <= maxBytes;
      if (!fits && groups.length > 0) flush();
      const current = groups.at(-1);
      if (current?.scope === scope) {
        current.metrics.push(metric);
        current.size += m;
      } else {
        if (current) closed += entrySize(current.size);
        groups.push({ scope, metrics: [metric], size: scope.headSize + m });
      }
      if (size() > maxBytes) throw new OversizedResourceMetricsError(key, size());
    }
  }
  if (groups.length > 0) flush();
  return parts;
}

const serviceOf = (request: MetricsRequest, r: number): string => {
  const found = request.resourceMetrics[r]!.resource.attributes.find((kv) => kv.key === 'service.name');
  return found?.value.type === 'string' && found.value.value !== '' ? found.value.value : 'unknown_service';
};

function encodeEntries(entries: Uint8Array[]): Uint8Array {
  const out = Buffer.allocUnsafe(entries.reduce((n, e) => n + entrySize(e.byteLength), 0));
  let at = 0;
  for (const entry of entries) at = writeEntry(out, at, 1, [entry]);
  return out;
}

/**
 * Splits a metrics request into records per `service.name` of its resources, each value a
 * self-contained OTLP/protobuf ExportMetricsServiceRequest (`otlp_proto`) made of the
 * sender's own ResourceMetrics bytes, so int and double values, metadata and unknown fields
 * travel exactly as sent; a service's resources fill records up to `maxRecordBytes`, a
 * resource too big for one record is cut between its metrics (see splitResource) and a metric
 * too big for one between its data points (see splitMetric).
 * `request` is the decoded model of `wire` (its resources in the same order), for the keys.
 * @throws OversizedResourceMetricsError when one data point alone cannot fit a record.
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
    const groups = byKey.get(key) ?? [];
    if (groups.length === 0) byKey.set(key, groups);
    // A resource too big for one record is cut between its metrics.
    const pieces =
      entrySize(entry.byteLength) > maxRecordBytes ? splitResource(entry, maxRecordBytes, key) : [entry];
    for (const piece of pieces) {
      const size = entrySize(piece.byteLength);
      const last = groups.at(-1);
      if (last && last.reduce((n, e) => n + entrySize(e.byteLength), 0) + size <= maxRecordBytes)
        last.push(piece);
      else groups.push([piece]);
    }
  });
  const records: MetricKafkaRecord[] = [];
  for (const [key, groups] of byKey)
    for (const group of groups) records.push({ key, value: encodeEntries(group) });
  return records;
}
