import type { KeyValue } from '@llmp/otlp';

// Columns derived from a span, shared by both row encoders (spanRows, spanRowBinary). GenAI
// fields come from the genai processor (types in @llmp/otlp), see genAiRowColumns.

// The Collector's ClickHouse exporter spells kinds and status codes this way; keeping them lets
// dashboards written for otel_traces work on the spans table.
const kindNames = ['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer'];
const statusNames = ['Unset', 'Ok', 'Error'];

/** @example spanKindName(2) // 'Server' */
export function spanKindName(kind: number): string {
  return kindNames[kind] ?? String(kind);
}

/** @example statusCodeName(2) // 'Error' */
export function statusCodeName(code: number): string {
  return statusNames[code] ?? String(code);
}

/**
 * The resource's `service.name` (the last one when repeated), '' when absent.
 * @example serviceName(rs.resource.attributes)
 */
export function serviceName(resource: KeyValue[]): string {
  for (let i = resource.length - 1; i >= 0; i--) {
    const kv = resource[i]!;
    if (kv.key === 'service.name' && kv.value.type === 'string') return kv.value.value;
  }
  return '';
}

/** The last value of `key` in a list that says something (an empty string says nothing). */
function lastValue(list: KeyValue[], key: string): KeyValue['value'] | undefined {
  for (let i = list.length - 1; i >= 0; i--) {
    const kv = list[i]!;
    if (kv.key === key && !(kv.value.type === 'string' && kv.value.value === '')) return kv.value;
  }
  return undefined;
}

/**
 * The text of `key` on the span, else its scope, else its resource ('' when absent or not a
 * scalar): without closures or rest arrays, as it runs three times a span (issue 21).
 * @example jobText('llmp.job.id', span.attributes, scope.attributes, resource.attributes)
 */
export function jobText(key: string, span: KeyValue[], scope: KeyValue[], resource: KeyValue[]): string {
  // An empty value says nothing: look further out (scope, then resource).
  const v = lastValue(span, key) ?? lastValue(scope, key) ?? lastValue(resource, key);
  if (v === undefined) return '';
  if (v.type === 'string') return v.value;
  if (v.type === 'int' || v.type === 'double' || v.type === 'bool') return String(v.value);
  return '';
}

export interface JobLink {
  job_id: string;
  job_version: string;
  job_type: string;
}

/**
 * The job a span names, looking at the span, then its scope, then its resource.
 * @example jobLink(span.attributes, scope.attributes, resource.attributes).job_id
 */
export function jobLink(span: KeyValue[], scope: KeyValue[], resource: KeyValue[]): JobLink {
  return {
    job_id: jobText('llmp.job.id', span, scope, resource),
    job_version: jobText('llmp.job.version', span, scope, resource),
    job_type: jobText('llmp.job.type', span, scope, resource),
  };
}
