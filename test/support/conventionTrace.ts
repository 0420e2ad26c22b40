import type { StoredSpan } from '@llmp/clickhouse';

type Attribute = string | number | boolean;

/** One authored span: plain attributes, and the canonical fields llmp must derive from them. */
export interface FixtureSpan {
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** Error status when true. */
  error?: boolean;
  attributes: Record<string, Attribute>;
  expected: {
    spanType: string | null;
    sessionId: string | null;
    userId: string | null;
    genAi: StoredSpan['genAi'];
  };
}

export interface FixtureTrace {
  convention: string;
  traceId: string;
  service: string;
  /** Start of the first span, in Unix milliseconds; span i starts i ms later and lasts 100 ms. */
  startMs: number;
  spans: FixtureSpan[];
}

function anyValue(v: Attribute) {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
}

/**
 * The OTLP/JSON ExportTraceServiceRequest body of a fixture trace, as an SDK would send it.
 * @example decodeJsonRequest(conventionTraceJson(openInferenceTrace))
 */
export function conventionTraceJson(trace: FixtureTrace): string {
  const startNs = BigInt(trace.startMs) * 1_000_000n;
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: trace.service } }] },
        scopeSpans: [
          {
            scope: { name: trace.convention },
            spans: trace.spans.map((s, i) => ({
              traceId: trace.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId ?? '',
              name: s.name,
              kind: 1,
              startTimeUnixNano: (startNs + BigInt(i) * 1_000_000n).toString(),
              endTimeUnixNano: (startNs + BigInt(i) * 1_000_000n + 100_000_000n).toString(),
              attributes: Object.entries(s.attributes).map(([key, v]) => ({ key, value: anyValue(v) })),
              status: { code: s.error ? 2 : 1 },
            })),
          },
        ],
      },
    ],
  });
}

/** Expected GenAI fields: everything empty but what is given. */
export function genAi(o: Partial<StoredSpan['genAi']>): StoredSpan['genAi'] {
  return {
    operation: null,
    provider: null,
    requestModel: null,
    responseModel: null,
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
    costUsd: null,
    costSource: null,
    priceId: null,
    inputText: '',
    outputText: '',
    ...o,
  };
}
