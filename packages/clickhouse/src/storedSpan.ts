/** A span as the query API returns it: OTLP's fields with readable enums, plus llmp's columns. */
export interface StoredSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  traceState: string;
  flags: number;
  name: string;
  kind: string;
  serviceName: string;
  startTime: string;
  endTime: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  /** End minus start in nanoseconds, as a decimal string: exact past 2^53 (OTLP/JSON writes int64 so too). */
  durationNs: string;
  status: { code: string; message: string };
  attributes: Record<string, unknown>;
  resourceAttributes: Record<string, unknown>;
  scope: { name: string; version: string; attributes: Record<string, unknown> };
  events: Array<{ name: string; time: string; timeUnixNano: string; attributes: Record<string, unknown> }>;
  links: Array<{
    traceId: string;
    spanId: string;
    traceState: string;
    flags: number;
    attributes: Record<string, unknown>;
  }>;
  droppedAttributesCount: number;
  droppedEventsCount: number;
  droppedLinksCount: number;
  jobId: string | null;
  jobVersion: string | null;
  jobType: string | null;
  spanType: string | null;
  genAi: {
    operation: string | null;
    provider: string | null;
    requestModel: string | null;
    responseModel: string | null;
    inputTokens: number;
    outputTokens: number;
    cacheReadTokens: number;
    cacheWriteTokens: number;
    reasoningTokens: number;
    costUsd: number | null;
    /** `provided` (sent by the app) or `price` (from the price table). */
    costSource: string | null;
    /** The attribute a provided cost came in, or the id of the price that applied. */
    priceId: string | null;
    /** Readable input and output (messages as `role: text` lines). */
    inputText: string;
    outputText: string;
  };
  sessionId: string | null;
  userId: string | null;
  /** Evaluation results of this span (`gen_ai.evaluation.result`), oldest first; absent when none. */
  scores?: GenAiScore[];
}

/** One evaluation result of a span (GenAI semantic conventions, event `gen_ai.evaluation.result`). */
export interface GenAiScore {
  /** `gen_ai.evaluation.name`, e.g. Relevance. */
  name: string;
  /** `gen_ai.evaluation.score.value`; null when only a label was sent. */
  score: number | null;
  /** `gen_ai.evaluation.score.label`, e.g. pass ('' when none). */
  label: string;
  explanation: string;
  /** `gen_ai.evaluation.evaluator` when sent, else the log record's instrumentation scope. */
  evaluator: string;
  /** `gen_ai.response.id` of the evaluated completion ('' when none). */
  responseId: string;
  /** How it arrived: `log_record` or `span_event`. */
  source: 'log_record' | 'span_event';
  time: string;
  timeUnixNano: string;
}

/**
 * RFC 3339 time with nanoseconds from a Unix nanosecond count.
 * @example isoFromNanos(1700000000123456789n) // '2023-11-14T22:13:20.123456789Z'
 */
export function isoFromNanos(nanos: bigint): string {
  const ms = nanos / 1_000_000n;
  const fraction = (nanos % 1_000_000_000n).toString().padStart(9, '0');
  return new Date(Number(ms)).toISOString().replace(/\.\d{3}Z$/, `.${fraction}Z`);
}

/** Past this a Date cannot hold the time (±8.64e15 ms): isoFromNanos throws as Date does. */
const maxDateNanos = 8_640_000_000_000_000_000_000n;

/**
 * isoFromNanos for many times of one read: the text up to the second is kept per second, so a
 * part of 10 000 spans (two or three times each) builds a Date once per second it spans, not
 * once per time. Same text as isoFromNanos for every time.
 * @example const iso = isoTimes(); iso(1700000000123456789n) // '2023-11-14T22:13:20.123456789Z'
 */
export function isoTimes(): (nanos: bigint) => string {
  const seconds = new Map<number, string>();
  return (nanos) => {
    if (nanos < 0n || nanos >= maxDateNanos) return isoFromNanos(nanos);
    const second = nanos / 1_000_000_000n;
    const key = Number(second);
    let prefix = seconds.get(key);
    if (prefix === undefined) {
      // Bounded: a read's times span few seconds; a trace spread over more starts the map again.
      if (seconds.size >= 4096) seconds.clear();
      prefix = new Date(key * 1000).toISOString().slice(0, -5);
      seconds.set(key, prefix);
    }
    return `${prefix}.${(nanos - second * 1_000_000_000n).toString().padStart(9, '0')}Z`;
  };
}

// DateTime64(9) holds 1900-01-01 .. 2262-04-11; OTLP's fixed64 goes further, so clamp.
const maxNanos = 2n ** 63n - 1n;

/**
 * A Unix nanosecond time clamped to what the stored DateTime64(9) columns hold (from 1970 on).
 * @example storableNanos(2n ** 64n - 1n) // 2n ** 63n - 1n
 */
export function storableNanos(nanos: bigint): bigint {
  return nanos > maxNanos ? maxNanos : nanos < 0n ? 0n : nanos;
}

/**
 * A Unix nanosecond time as ClickHouse DateTime64(9, 'UTC') text. ClickHouse's parser guesses
 * at bare digit strings (a small number is not read as seconds), so the full form is sent.
 * @example clickhouseTime(1700000000123456789n) // '2023-11-14 22:13:20.123456789'
 */
export function clickhouseTime(nanos: bigint): string {
  const n = storableNanos(nanos);
  const seconds = new Date(Number(n / 1_000_000_000n) * 1000).toISOString().slice(0, 19).replace('T', ' ');
  return `${seconds}.${(n % 1_000_000_000n).toString().padStart(9, '0')}`;
}
