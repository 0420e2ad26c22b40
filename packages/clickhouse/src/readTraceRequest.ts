import type { ResourceSpans, ScopeSpans, Span, TraceRequest } from '@llmp/otlp';
import { permanent } from '@llmp/pipeline';
import { otlpAttributes } from './attributeColumns.ts';
import type { ClickHouseStore } from './clickhouseStore.ts';
import { readSpanRecords, type SpanRecord } from './readTrace.ts';

// The names spanRows stores (the Collector's spelling), back to OTLP's numbers.
const kinds: Record<string, number> = {
  Unspecified: 0,
  Internal: 1,
  Server: 2,
  Client: 3,
  Producer: 4,
  Consumer: 5,
};
const statuses: Record<string, number> = { Unset: 0, Ok: 1, Error: 2 };
const enumOf = (names: Record<string, number>, text: string) => names[text] ?? (Number(text) || 0);

function spanOf(r: SpanRecord): Span {
  const start = BigInt(r.start_ns);
  return {
    traceId: r.TraceId,
    spanId: r.SpanId,
    traceState: r.TraceState,
    parentSpanId: r.ParentSpanId,
    flags: Number(r.TraceFlags),
    name: r.SpanName,
    kind: enumOf(kinds, r.SpanKind),
    startTimeUnixNano: start,
    endTimeUnixNano: start + BigInt(r.Duration),
    attributes: otlpAttributes(r.SpanAttributes, r.SpanAttributeTypes),
    droppedAttributesCount: Number(r.DroppedAttributesCount),
    events: r.event_names.map((name, i) => ({
      timeUnixNano: BigInt(r.event_ns[i]!),
      name,
      attributes: otlpAttributes(r.event_attributes[i] ?? {}, r.event_types[i] ?? {}),
      droppedAttributesCount: 0,
    })),
    droppedEventsCount: Number(r.DroppedEventsCount),
    links: r.link_trace_ids.map((traceId, i) => ({
      traceId,
      spanId: r.link_span_ids[i]!,
      traceState: r.link_states[i]!,
      attributes: otlpAttributes(r.link_attributes[i] ?? {}, r.link_types[i] ?? {}),
      droppedAttributesCount: 0,
      flags: Number(r.link_flags[i]),
    })),
    droppedLinksCount: Number(r.DroppedLinksCount),
    status: { code: enumOf(statuses, r.StatusCode), message: r.StatusMessage },
  };
}

/**
 * Spans a whole-trace read holds at most (the most a part of `GET /v1/traces/{id}` holds): a
 * downstream re-sent a trace whole gets it in one request, so a bigger trace is refused rather
 * than read into memory at once (issue 21, item 5).
 */
export const maxStoredTraceSpans = 10_000;

/**
 * A stored trace as an OTLP request again, spans nested under their resource and scope as
 * sent, for a downstream that must get the trace once more (a resumed MLflow upload).
 * Undefined when the store has no span of it. A trace of more than `maxSpans` spans is not
 * read whole: at most `maxSpans + 1` of its spans are read, and a permanent ExportError
 * (`tooLarge`) says so.
 * @example const request = await readTraceRequest(store, 'default', traceId);
 */
export async function readTraceRequest(
  store: ClickHouseStore,
  projectId: string,
  traceId: string,
  { maxSpans = maxStoredTraceSpans }: { maxSpans?: number } = {},
): Promise<TraceRequest | undefined> {
  const records = await readSpanRecords(store, projectId, traceId.toLowerCase(), { limit: maxSpans + 1 });
  if (records.length === 0) return undefined;
  if (records.length > maxSpans)
    throw permanent(`trace ${traceId} has more than ${maxSpans} spans: too large to read whole`, {
      tooLarge: true,
    });
  const resources = new Map<string, { rs: ResourceSpans; scopes: Map<string, ScopeSpans> }>();
  for (const r of records) {
    const resourceKey = JSON.stringify([r.ResourceAttributes, r.ResourceAttributeTypes, r.ResourceSchemaUrl]);
    let resource = resources.get(resourceKey);
    if (!resource) {
      const rs: ResourceSpans = {
        resource: {
          attributes: otlpAttributes(r.ResourceAttributes, r.ResourceAttributeTypes),
          droppedAttributesCount: 0,
        },
        scopeSpans: [],
        schemaUrl: r.ResourceSchemaUrl,
      };
      resource = { rs, scopes: new Map() };
      resources.set(resourceKey, resource);
    }
    const scopeKey = JSON.stringify([r.ScopeName, r.ScopeVersion, r.ScopeAttributes, r.ScopeAttributeTypes]);
    let scope = resource.scopes.get(scopeKey);
    if (!scope) {
      scope = {
        scope: {
          name: r.ScopeName,
          version: r.ScopeVersion,
          attributes: otlpAttributes(r.ScopeAttributes, r.ScopeAttributeTypes),
          droppedAttributesCount: 0,
        },
        spans: [],
        schemaUrl: '',
      };
      resource.scopes.set(scopeKey, scope);
      resource.rs.scopeSpans.push(scope);
    }
    scope.spans.push(spanOf(r));
  }
  return { resourceSpans: [...resources.values()].map((r) => r.rs) };
}
