import {
  decodeProtobufSpan,
  encodeWireSpans,
  type WireRequest,
  type WireSpan,
  wireSpansSize,
} from '@llmp/otlp';

/** One Kafka record of the `otlp_spans` topic. */
export interface TraceRecord {
  /** Lowercase hex trace id: every record of a trace lands on the same partition. */
  key: string;
  /** OTLP/protobuf ExportTraceServiceRequest holding spans of this trace only (`otlp_proto`). */
  value: Uint8Array;
  spanCount: number;
}

/** A single span whose record alone exceeds the size bound. */
export class OversizedSpanError extends Error {
  readonly traceId: string;
  readonly spanId: string;
  readonly size: number;
  constructor(traceId: string, spanId: string, size: number) {
    super(`span ${spanId} of trace ${traceId} encodes to ${size} bytes, over the record limit`);
    this.name = 'OversizedSpanError';
    this.traceId = traceId;
    this.spanId = spanId;
    this.size = size;
  }
}

function encodeBounded(traceId: string, spans: WireSpan[], maxBytes: number, out: TraceRecord[]): void {
  const size = wireSpansSize(spans);
  if (size <= maxBytes) {
    out.push({ key: traceId, value: encodeWireSpans(spans), spanCount: spans.length });
    return;
  }
  if (spans.length === 1) {
    throw new OversizedSpanError(traceId, decodeProtobufSpan(spans[0]!.bytes).spanId, size);
  }
  // Halve until each part fits: a huge trace becomes several records, none is dropped.
  const middle = Math.ceil(spans.length / 2);
  encodeBounded(traceId, spans.slice(0, middle), maxBytes, out);
  encodeBounded(traceId, spans.slice(middle), maxBytes, out);
}

/**
 * Splits a request into one record per trace (several when a trace's record would exceed
 * `maxRecordBytes`), each value a self-contained OTLP/protobuf request readable by any
 * OpenTelemetry Collector kafkareceiver with the `otlp_proto` encoding. Spans, resources and
 * scopes are copied as they were received, never decoded.
 * @throws OversizedSpanError when one span alone cannot fit a record.
 * @example for (const r of traceRecords(batch.wire(), 1_000_000)) producer.send(r.key, r.value)
 */
export function traceRecords(wire: WireRequest, maxRecordBytes: number): TraceRecord[] {
  const byTrace = new Map<string, WireSpan[]>();
  for (const span of wire.spans) {
    const list = byTrace.get(span.traceId);
    if (list) list.push(span);
    else byTrace.set(span.traceId, [span]);
  }
  const records: TraceRecord[] = [];
  for (const [traceId, spans] of byTrace) encodeBounded(traceId, spans, maxRecordBytes, records);
  return records;
}
