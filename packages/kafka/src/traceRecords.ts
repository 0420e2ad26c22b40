import {
  decodeProtobufSpan,
  type WireLayout,
  type WireRequest,
  type WireSpan,
  wireSpansLayout,
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

interface PlannedRecord {
  key: string;
  layout: WireLayout;
  spanCount: number;
}

function planBounded(traceId: string, spans: WireSpan[], maxBytes: number, out: PlannedRecord[]): void {
  const layout = wireSpansLayout(spans);
  if (layout.size <= maxBytes) {
    out.push({ key: traceId, layout, spanCount: spans.length });
    return;
  }
  if (spans.length === 1) {
    throw new OversizedSpanError(traceId, decodeProtobufSpan(spans[0]!.bytes).spanId, layout.size);
  }
  // Halve until each part fits: a huge trace becomes several records, none is dropped.
  const middle = Math.ceil(spans.length / 2);
  planBounded(traceId, spans.slice(0, middle), maxBytes, out);
  planBounded(traceId, spans.slice(middle), maxBytes, out);
}

/**
 * Splits a request into one record per trace (several when a trace's record would exceed
 * `maxRecordBytes`), each value a self-contained OTLP/protobuf request readable by any
 * OpenTelemetry Collector kafkareceiver with the `otlp_proto` encoding. Spans, resources and
 * scopes are copied as they were received, never decoded, into one buffer for all the records
 * of the request (each value a view of it): one allocation per request, not per trace.
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
  const planned: PlannedRecord[] = [];
  for (const [traceId, spans] of byTrace) planBounded(traceId, spans, maxRecordBytes, planned);
  let total = 0;
  for (const record of planned) total += record.layout.size;
  // Every byte is written below: no zero fill.
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  return planned.map(({ key, layout, spanCount }) => {
    layout.write(out, at);
    const value = out.subarray(at, at + layout.size);
    at += layout.size;
    return { key, value, spanCount };
  });
}
