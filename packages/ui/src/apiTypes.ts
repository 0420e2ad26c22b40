/** The shapes the query API answers with (see /openapi.json). */
export interface TraceSummary {
  traceId: string;
  rootName: string;
  serviceName: string;
  startTime: string;
  startTimeUnixNano: string;
  durationNs: string;
  spanCount: number;
  errorCount: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number | null;
  jobId: string | null;
  jobVersion: string | null;
}

export interface TracePage {
  traces: TraceSummary[];
  nextCursor: string | null;
}

export type Attributes = Record<string, unknown>;

export interface Span {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: string;
  serviceName: string;
  startTime: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  durationNs: string;
  status: { code: string; message: string };
  attributes: Attributes;
  resourceAttributes: Attributes;
  scope?: { name: string; version: string };
  events: Array<{ name: string; time: string; timeUnixNano: string; attributes: Attributes }>;
  links: Array<{ traceId: string; spanId: string; attributes: Attributes }>;
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
    costSource: string | null;
    priceId: string | null;
    inputText: string;
    outputText: string;
  };
  sessionId: string | null;
  userId: string | null;
}

export interface TraceResponse {
  traceId: string;
  spans: Span[];
  /** Present when more spans follow (pass it back as `cursor`). */
  next_cursor?: string;
}
