import type { ResourceSpans, ScopeSpans, Span, TraceRequest } from './traceModel.ts';

/** A span with the resource and scope it was sent under, so a split keeps both. */
export interface PlacedSpan {
  rs: ResourceSpans;
  ss: ScopeSpans;
  span: Span;
}

/**
 * The spans of a request grouped by trace id, in first-seen order, each with its resource and scope.
 * @example for (const [traceId, spans] of spansByTrace(request)) send(traceId, nestSpans(spans));
 */
export function spansByTrace(request: TraceRequest): Map<string, PlacedSpan[]> {
  const byTrace = new Map<string, PlacedSpan[]>();
  for (const rs of request.resourceSpans) {
    for (const ss of rs.scopeSpans) {
      for (const span of ss.spans) {
        const list = byTrace.get(span.traceId);
        if (list) list.push({ rs, ss, span });
        else byTrace.set(span.traceId, [{ rs, ss, span }]);
      }
    }
  }
  return byTrace;
}

/**
 * Rebuilds the resource / scope nesting for placed spans, preserving first-seen order.
 * @example const request = nestSpans(spansByTrace(batch.request()).get(traceId)!);
 */
export function nestSpans(spans: PlacedSpan[]): TraceRequest {
  const resources = new Map<ResourceSpans, Map<ScopeSpans, Span[]>>();
  for (const { rs, ss, span } of spans) {
    let scopes = resources.get(rs);
    if (!scopes) {
      scopes = new Map();
      resources.set(rs, scopes);
    }
    const list = scopes.get(ss);
    if (list) list.push(span);
    else scopes.set(ss, [span]);
  }
  return {
    resourceSpans: [...resources].map(([rs, scopes]) => ({
      resource: rs.resource,
      schemaUrl: rs.schemaUrl,
      scopeSpans: [...scopes].map(([ss, list]) => ({
        scope: ss.scope,
        schemaUrl: ss.schemaUrl,
        spans: list,
      })),
    })),
  };
}
