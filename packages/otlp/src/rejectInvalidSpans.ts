import type { Span, TraceRequest } from './traceModel.ts';

const zeroTraceId = '0'.repeat(32);
const zeroSpanId = '0'.repeat(16);

/**
 * `/^[0-9a-f]{length}$/.test(id)` as a loop over the characters: the two regular expressions
 * took 1.7 % of the ingester's main thread, for every span it reads (issue 21).
 */
function lowerHex(id: string, length: number): boolean {
  if (id.length !== length) return false;
  for (let i = 0; i < length; i++) {
    const c = id.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

/** The latest time the store's DateTime64(9) columns hold: 2262-04-11T23:47:16.854775807Z. */
export const maxStorableNanos = 2n ** 63n - 1n;

/**
 * Why a span's times cannot be stored as sent, or undefined when they can. Refused rather than
 * changed: a time past 2262 cannot be held, and an end before the start has no duration to store.
 * @example timeProblem(2n, 1n) // 'end time 1 is before start time 2'
 */
export function timeProblem(start: bigint, end: bigint): string | undefined {
  if (start > maxStorableNanos || end > maxStorableNanos) {
    return `time past 2262-04-11T23:47:16.854775807Z, the last the store holds (start ${start}, end ${end} ns)`;
  }
  if (end < start) return `end time ${end} is before start time ${start} (ns since the Unix epoch)`;
  return undefined;
}

/** Why a span cannot be stored, or undefined when it can. */
export function spanProblem(span: Span): string | undefined {
  // OTLP trace.proto: trace_id is 16 bytes and span_id 8 bytes; all-zero ids are invalid.
  if (!lowerHex(span.traceId, 32) || span.traceId === zeroTraceId) {
    return `invalid trace id "${span.traceId}" (need 16 non-zero bytes)`;
  }
  if (!lowerHex(span.spanId, 16) || span.spanId === zeroSpanId) {
    return `invalid span id "${span.spanId}" (need 8 non-zero bytes)`;
  }
  if (span.parentSpanId !== '' && !lowerHex(span.parentSpanId, 16)) {
    return `invalid parent span id "${span.parentSpanId}" (need 8 bytes or empty)`;
  }
  for (const { name, timeUnixNano } of span.events) {
    if (timeUnixNano > maxStorableNanos) return eventTimeProblem(name, timeUnixNano);
  }
  return timeProblem(span.startTimeUnixNano, span.endTimeUnixNano);
}

/** Why a span event's time cannot be stored: the store's DateTime64(9) ends in 2262. */
function eventTimeProblem(name: string, time: bigint): string {
  return `event "${name}" time past 2262-04-11T23:47:16.854775807Z, the last the store holds (${time} ns)`;
}

export interface SpanScreening {
  /** The request without the rejected spans (scopes and resources left empty are dropped). */
  accepted: TraceRequest;
  acceptedSpans: number;
  rejectedSpans: number;
  /** First problems found, for the partial_success message. */
  errorMessage: string;
}

/**
 * Splits a request into the spans that can be stored and the ones that must be rejected, so
 * that one bad span does not cost the sender the whole request (OTLP "Partial Success").
 * @example const { accepted, rejectedSpans, errorMessage } = rejectInvalidSpans(request);
 */
export function rejectInvalidSpans(request: TraceRequest): SpanScreening {
  let acceptedSpans = 0;
  let rejectedSpans = 0;
  const problems: string[] = [];
  const resourceSpans = [];
  for (const rs of request.resourceSpans) {
    const scopeSpans = [];
    for (const ss of rs.scopeSpans) {
      const spans = [];
      for (const span of ss.spans) {
        const problem = spanProblem(span);
        if (problem === undefined) spans.push(span);
        else {
          rejectedSpans++;
          if (problems.length < 3) problems.push(`span "${span.name}": ${problem}`);
        }
      }
      acceptedSpans += spans.length;
      if (spans.length > 0) scopeSpans.push(spans.length === ss.spans.length ? ss : { ...ss, spans });
    }
    if (scopeSpans.length > 0) resourceSpans.push({ ...rs, scopeSpans });
  }
  let errorMessage = '';
  if (rejectedSpans > 0) {
    const more = rejectedSpans > problems.length ? ` (and ${rejectedSpans - problems.length} more)` : '';
    errorMessage = `${rejectedSpans} span(s) rejected: ${problems.join('; ')}${more}`;
  }
  return {
    accepted: rejectedSpans === 0 ? request : { resourceSpans },
    acceptedSpans,
    rejectedSpans,
    errorMessage,
  };
}
