import { type KeyValue, type Span, type TraceBatch, traceBatch } from '@llmp/otlp';
import { stringAttr, testRequest, testSpan } from '@llmp/otlp/testing';

// Spans and batches for the unit tests of this package, on @llmp/otlp's test fixtures.

export const str = stringAttr;

/** @example span('a'.repeat(32), '1'.repeat(16), '', [str('llmp.job.id', 'job-1')]) */
export function span(
  traceId: string,
  spanId: string,
  parentSpanId: string,
  attributes: KeyValue[] = [],
): Span {
  return testSpan({ traceId, spanId, parentSpanId, name: `span ${spanId}`, attributes });
}

/** One resource, one scope. @example batch([span(a, '1'.repeat(16), '')], [], 'acme') */
export function batch(spans: Span[], resource: KeyValue[] = [], projectId = 'default'): TraceBatch {
  return traceBatch({ projectId, request: testRequest(spans, { resource, scopeName: 's' }) });
}
