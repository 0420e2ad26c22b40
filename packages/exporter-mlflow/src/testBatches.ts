import { type KeyValue, type Span, type TraceBatch, traceBatch } from '@llmp/otlp';

// Spans and batches for the unit tests of this package.

export const str = (key: string, value: string): KeyValue => ({ key, value: { type: 'string', value } });

/** @example span('a'.repeat(32), '1'.repeat(16), '', [str('llmp.job.id', 'job-1')]) */
export function span(
  traceId: string,
  spanId: string,
  parentSpanId: string,
  attributes: KeyValue[] = [],
): Span {
  return {
    traceId,
    spanId,
    parentSpanId,
    traceState: '',
    flags: 0,
    name: `span ${spanId}`,
    kind: 1,
    startTimeUnixNano: 1n,
    endTimeUnixNano: 2n,
    attributes,
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: 0, message: '' },
  };
}

/** One resource, one scope. @example batch([span(a, '1'.repeat(16), '')], [], 'acme') */
export function batch(spans: Span[], resource: KeyValue[] = [], projectId = 'default'): TraceBatch {
  return traceBatch({
    projectId,
    request: {
      resourceSpans: [
        {
          resource: { attributes: resource, droppedAttributesCount: 0 },
          schemaUrl: '',
          scopeSpans: [
            {
              scope: { name: 's', version: '', attributes: [], droppedAttributesCount: 0 },
              schemaUrl: '',
              spans,
            },
          ],
        },
      ],
    },
  });
}
