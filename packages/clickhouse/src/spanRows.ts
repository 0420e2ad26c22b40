import type { GenAiFields, Span, TraceRequest } from '@llmp/otlp';
import { attributeColumns } from './attributeColumns.ts';
import { genAiRowColumns } from './genAiRowColumns.ts';
import { jobLink, serviceName, spanKindName, statusCodeName } from './spanColumns.ts';
import { clickhouseTime } from './storedSpan.ts';

export type SpanRow = Record<string, unknown>;

/**
 * One `spans` row per span of a request, for a JSONEachRow insert. Times are full
 * DateTime64(9, 'UTC') text so no digit is lost. `genAi` gives a span's canonical GenAI fields
 * (from the genai processor); without them the GenAI columns are empty.
 * @example await client.insert({ table: 'llmp.spans', values: spanRows('default', request), format: 'JSONEachRow' })
 */
export function spanRows(
  projectId: string,
  request: TraceRequest,
  genAi: (span: Span) => GenAiFields | undefined = () => undefined,
): SpanRow[] {
  const rows: SpanRow[] = [];
  for (const rs of request.resourceSpans) {
    const resource = attributeColumns(rs.resource.attributes);
    const service = serviceName(rs.resource.attributes);
    for (const ss of rs.scopeSpans) {
      const scope = attributeColumns(ss.scope.attributes);
      for (const span of ss.spans) {
        const attributes = attributeColumns(span.attributes);
        const events = span.events.map((e) => ({ e, a: attributeColumns(e.attributes) }));
        const links = span.links.map((l) => ({ l, a: attributeColumns(l.attributes) }));
        const duration =
          span.endTimeUnixNano > span.startTimeUnixNano ? span.endTimeUnixNano - span.startTimeUnixNano : 0n;
        rows.push({
          project_id: projectId,
          Timestamp: clickhouseTime(span.startTimeUnixNano),
          TraceId: span.traceId,
          SpanId: span.spanId,
          ParentSpanId: span.parentSpanId,
          TraceState: span.traceState,
          TraceFlags: span.flags,
          SpanName: span.name,
          SpanKind: spanKindName(span.kind),
          ServiceName: service,
          ResourceAttributes: resource.values,
          ResourceAttributeTypes: resource.types,
          ResourceSchemaUrl: rs.schemaUrl,
          ScopeName: ss.scope.name,
          ScopeVersion: ss.scope.version,
          ScopeAttributes: scope.values,
          ScopeAttributeTypes: scope.types,
          SpanAttributes: attributes.values,
          SpanAttributeTypes: attributes.types,
          Duration: duration.toString(),
          StatusCode: statusCodeName(span.status.code),
          StatusMessage: span.status.message,
          'Events.Timestamp': events.map(({ e }) => clickhouseTime(e.timeUnixNano)),
          'Events.Name': events.map(({ e }) => e.name),
          'Events.Attributes': events.map(({ a }) => a.values),
          'Events.AttributeTypes': events.map(({ a }) => a.types),
          'Links.TraceId': links.map(({ l }) => l.traceId),
          'Links.SpanId': links.map(({ l }) => l.spanId),
          'Links.TraceState': links.map(({ l }) => l.traceState),
          'Links.Flags': links.map(({ l }) => l.flags),
          'Links.Attributes': links.map(({ a }) => a.values),
          'Links.AttributeTypes': links.map(({ a }) => a.types),
          DroppedAttributesCount: span.droppedAttributesCount,
          DroppedEventsCount: span.droppedEventsCount,
          DroppedLinksCount: span.droppedLinksCount,
          ...jobLink(span.attributes, ss.scope.attributes, rs.resource.attributes),
          ...genAiRowColumns(genAi(span)),
        });
      }
    }
  }
  return rows;
}
