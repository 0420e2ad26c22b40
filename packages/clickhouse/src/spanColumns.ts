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

type Lookup = (key: string) => KeyValue['value'] | undefined;

function lookupIn(...lists: KeyValue[][]): Lookup {
  return (key) => {
    for (const list of lists) {
      for (let i = list.length - 1; i >= 0; i--) {
        const { key: k, value } = list[i]!;
        // An empty value says nothing: look further out (scope, then resource).
        if (k === key && !(value.type === 'string' && value.value === '')) return value;
      }
    }
    return undefined;
  };
}

function text(lookup: Lookup, ...keys: string[]): string {
  for (const key of keys) {
    const v = lookup(key);
    if (v === undefined) continue;
    if (v.type === 'string' && v.value !== '') return v.value;
    if (v.type === 'int' || v.type === 'double' || v.type === 'bool') return String(v.value);
  }
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
  const lookup = lookupIn(span, scope, resource);
  return {
    job_id: text(lookup, 'llmp.job.id'),
    job_version: text(lookup, 'llmp.job.version'),
    job_type: text(lookup, 'llmp.job.type'),
  };
}
