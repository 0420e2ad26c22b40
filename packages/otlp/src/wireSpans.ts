/**
 * Spans located in OTLP/protobuf bytes without being decoded: each a view of its Span message,
 * with the Resource and InstrumentationScope message bytes it was sent under. Copying these
 * views, with new length prefixes, builds requests that decode to the same spans.
 */
export interface WireResource {
  /** ResourceSpans.resource (field 1) message bytes, when sent. */
  resource?: Uint8Array;
  /** ResourceSpans.schema_url (field 3) string bytes, when sent. */
  schemaUrl?: Uint8Array;
}

export interface WireScope {
  resource: WireResource;
  /** ScopeSpans.scope (field 1) message bytes, when sent. */
  scope?: Uint8Array;
  /** ScopeSpans.schema_url (field 3) string bytes, when sent. */
  schemaUrl?: Uint8Array;
}

export interface WireSpan {
  /** Lowercase hex of Span.trace_id (16 bytes, checked). */
  traceId: string;
  /** The Span message bytes. */
  bytes: Uint8Array;
  scope: WireScope;
}

/** The accepted spans of a scanned request. */
export interface WireRequest {
  /** The scanned ExportTraceServiceRequest bytes. */
  source: Uint8Array;
  spans: WireSpan[];
  /** True when `spans` are all the spans of `source`, which then stands for them as it is. */
  whole: boolean;
}

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    size++;
  }
  return size;
}

/** Bytes of a length-delimited field with a one-byte tag (every field number here is < 16). */
const fieldSize = (length: number) => 1 + varintSize(length) + length;
const optionalSize = (bytes: Uint8Array | undefined) => (bytes ? fieldSize(bytes.byteLength) : 0);

/** Spans nested by resource, then scope, each in first-seen order (as `nestSpans` does). */
function nest(spans: WireSpan[]): Map<WireResource, Map<WireScope, WireSpan[]>> {
  const resources = new Map<WireResource, Map<WireScope, WireSpan[]>>();
  for (const span of spans) {
    let scopes = resources.get(span.scope.resource);
    if (!scopes) {
      scopes = new Map();
      resources.set(span.scope.resource, scopes);
    }
    const list = scopes.get(span.scope);
    if (list) list.push(span);
    else scopes.set(span.scope, [span]);
  }
  return resources;
}

interface Sized {
  resource: WireResource;
  size: number;
  scopes: Array<{ scope: WireScope; size: number; spans: WireSpan[] }>;
}

function sized(spans: WireSpan[]): { total: number; resources: Sized[] } {
  let total = 0;
  const resources: Sized[] = [];
  for (const [resource, scopeMap] of nest(spans)) {
    let size = optionalSize(resource.resource) + optionalSize(resource.schemaUrl);
    const scopes: Sized['scopes'] = [];
    for (const [scope, list] of scopeMap) {
      let scopeSize = optionalSize(scope.scope) + optionalSize(scope.schemaUrl);
      for (const span of list) scopeSize += fieldSize(span.bytes.byteLength);
      scopes.push({ scope, size: scopeSize, spans: list });
      size += fieldSize(scopeSize);
    }
    resources.push({ resource, size, scopes });
    total += fieldSize(size);
  }
  return { total, resources };
}

/** The ExportTraceServiceRequest of some spans, measured once: `size` bytes that `write` puts at `at`. */
export interface WireLayout {
  size: number;
  write(out: Uint8Array, at: number): void;
}

/**
 * The layout of the ExportTraceServiceRequest holding `spans`, nested by resource and scope in
 * first-seen order, built by copying the located bytes (fields in proto order: 1, 2, 3): measure
 * first, then write several requests into one buffer.
 * @example const layout = wireSpansLayout(spans); if (layout.size <= max) layout.write(out, at);
 */
export function wireSpansLayout(spans: WireSpan[]): WireLayout {
  const { total, resources } = sized(spans);
  return {
    size: total,
    write(out, at) {
      let pos = at;
      const head = (tag: number, length: number) => {
        out[pos++] = tag;
        while (length >= 0x80) {
          out[pos++] = (length & 0x7f) | 0x80;
          length = Math.floor(length / 0x80);
        }
        out[pos++] = length;
      };
      const copy = (tag: number, bytes: Uint8Array | undefined) => {
        if (!bytes) return;
        head(tag, bytes.byteLength);
        out.set(bytes, pos);
        pos += bytes.byteLength;
      };
      for (const { resource, size, scopes } of resources) {
        head(0x0a, size); // ExportTraceServiceRequest.resource_spans = 1
        copy(0x0a, resource.resource); // ResourceSpans.resource = 1
        for (const { scope, size: scopeSize, spans: list } of scopes) {
          head(0x12, scopeSize); // ResourceSpans.scope_spans = 2
          copy(0x0a, scope.scope); // ScopeSpans.scope = 1
          for (const span of list) copy(0x12, span.bytes); // ScopeSpans.spans = 2
          copy(0x1a, scope.schemaUrl); // ScopeSpans.schema_url = 3
        }
        copy(0x1a, resource.schemaUrl); // ResourceSpans.schema_url = 3
      }
    },
  };
}

/**
 * Size in bytes of the ExportTraceServiceRequest that `encodeWireSpans(spans)` builds.
 * @example if (wireSpansSize(spans) > maxRecordBytes) split(spans);
 */
export function wireSpansSize(spans: WireSpan[]): number {
  return sized(spans).total;
}

/**
 * An ExportTraceServiceRequest holding `spans` (see `wireSpansLayout`).
 * @example const value = encodeWireSpans(spansOfOneTrace);
 */
export function encodeWireSpans(spans: WireSpan[]): Uint8Array {
  const layout = wireSpansLayout(spans);
  // Every byte is written: no zero fill, and small records share Node's buffer pool.
  const out = Buffer.allocUnsafe(layout.size);
  layout.write(out, 0);
  return out;
}

/**
 * The request the accepted spans form: the scanned bytes themselves when nothing was left out.
 * @example producer.send(wireRequestBytes(batch.wire()))
 */
export function wireRequestBytes(wire: WireRequest): Uint8Array {
  return wire.whole ? wire.source : encodeWireSpans(wire.spans);
}
