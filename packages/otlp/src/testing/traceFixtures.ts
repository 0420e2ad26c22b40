import type { KeyValue, Span, TraceRequest } from '../traceModel.ts';

/** The trace id test spans carry unless told otherwise. */
export const testTraceId = '5b8efff798038103d269b633813fc60c';

/**
 * A valid span with every field set (trace `testTraceId`, kind INTERNAL, 1 ns long),
 * for unit tests; `overrides` replace whole fields.
 * @example testSpan({ name: 'chat', attributes: [stringAttr('gen_ai.request.model', 'gpt-4o')] })
 */
export function testSpan(overrides: Partial<Span> = {}): Span {
  return {
    traceId: testTraceId,
    spanId: 'eee19b7ec3c1b174',
    traceState: '',
    parentSpanId: '',
    flags: 0,
    name: 'span',
    kind: 1,
    startTimeUnixNano: 1n,
    endTimeUnixNano: 2n,
    attributes: [],
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: 0, message: '' },
    ...overrides,
  };
}

/**
 * A request holding `spans` under one resource and one scope.
 * @example testRequest([testSpan()], { resource: [stringAttr('service.name', 'api')] })
 */
export function testRequest(
  spans: Span[],
  {
    resource = [],
    scope = [],
    scopeName = '',
    scopeVersion = '',
  }: { resource?: KeyValue[]; scope?: KeyValue[]; scopeName?: string; scopeVersion?: string } = {},
): TraceRequest {
  return {
    resourceSpans: [
      {
        resource: { attributes: resource, droppedAttributesCount: 0 },
        schemaUrl: '',
        scopeSpans: [
          {
            scope: { name: scopeName, version: scopeVersion, attributes: scope, droppedAttributesCount: 0 },
            schemaUrl: '',
            spans,
          },
        ],
      },
    ],
  };
}

/** A string attribute. */
export const stringAttr = (key: string, value: string): KeyValue => ({
  key,
  value: { type: 'string', value },
});
