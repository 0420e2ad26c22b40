import type { KeyValue, Span, TraceRequest } from '@llmp/otlp';

/** One generated span, with what the search must know about it. */
export interface DataSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  service: string;
  startNs: bigint;
  durationNs: bigint;
  error: boolean;
  spanType: 'other' | 'llm' | 'tool';
  model: string;
  provider: string;
  inputTokens: number;
  outputTokens: number;
  jobId: string;
  jobVersion: string;
  sessionId: string;
  userId: string;
  tenant: string;
}

/** Start of the data set: 2025-06-02T00:00:00Z, after every repository price took effect. */
export const dataSetStartMs = Date.parse('2025-06-02T00:00:00Z');
const ms = 1_000_000n;

/**
 * A known data set of `traces` traces, one every 2 minutes: a root `handle` span whose duration
 * repeats every 20 traces (ties for sort-by-duration), an LLM child (gpt-4o / Claude in turn,
 * an error every 5th), and a failing-free tool span every 10th trace; jobs, sessions, users and
 * a `tenant` attribute cycle with different periods.
 * @example const spans = searchDataSet(60);
 */
export function searchDataSet(traces: number): DataSpan[] {
  const spans: DataSpan[] = [];
  for (let i = 0; i < traces; i++) {
    const traceId = (0xa0000 + i).toString(16).padStart(32, '0');
    const start = BigInt(dataSetStartMs) * ms + BigInt(i) * 120_000n * ms;
    const common = {
      traceId,
      service: ['svc-a', 'svc-b', 'svc-c'][i % 3]!,
      jobId: i % 4 === 0 ? 'job-x' : '',
      jobVersion: i % 4 === 0 ? (i % 8 === 0 ? '1' : '2') : '',
      sessionId: `s-${i % 6}`,
      userId: `u-${i % 7}`,
      tenant: i % 2 === 0 ? 'globex' : 'acme',
    };
    const none = { model: '', provider: '', inputTokens: 0, outputTokens: 0 };
    spans.push({
      ...common,
      ...none,
      spanId: `${(i * 4 + 1).toString(16).padStart(16, '0')}`,
      parentSpanId: '',
      name: 'handle',
      startNs: start,
      durationNs: BigInt((i % 20) + 1) * 10n * ms,
      error: false,
      spanType: 'other',
    });
    const openai = i % 2 === 0;
    spans.push({
      ...common,
      spanId: `${(i * 4 + 2).toString(16).padStart(16, '0')}`,
      parentSpanId: `${(i * 4 + 1).toString(16).padStart(16, '0')}`,
      name: 'chat',
      startNs: start + ms,
      durationNs: BigInt(i + 1) * 100_000n,
      error: i % 5 === 0,
      spanType: 'llm',
      model: openai ? 'gpt-4o' : 'claude-sonnet-4-20250514',
      provider: openai ? 'openai' : 'anthropic',
      inputTokens: 100 + i,
      outputTokens: 10 + i,
    });
    if (i % 10 === 0) {
      spans.push({
        ...common,
        ...none,
        spanId: `${(i * 4 + 3).toString(16).padStart(16, '0')}`,
        parentSpanId: `${(i * 4 + 1).toString(16).padStart(16, '0')}`,
        name: 'execute_tool search',
        startNs: start + 2n * ms,
        durationNs: 3n * ms,
        error: false,
        spanType: 'tool',
      });
    }
  }
  return spans;
}

const str = (key: string, value: string): KeyValue => ({ key, value: { type: 'string', value } });
const int = (key: string, value: number): KeyValue => ({ key, value: { type: 'int', value: BigInt(value) } });

function attributes(s: DataSpan): KeyValue[] {
  const list = [
    str('tenant', s.tenant),
    str('gen_ai.conversation.id', s.sessionId),
    str('user.id', s.userId),
  ];
  if (s.jobId) list.push(str('llmp.job.id', s.jobId), str('llmp.job.version', s.jobVersion));
  if (s.spanType === 'llm') {
    list.push(
      str('gen_ai.operation.name', 'chat'),
      str('gen_ai.provider.name', s.provider),
      str('gen_ai.request.model', s.model),
      int('gen_ai.usage.input_tokens', s.inputTokens),
      int('gen_ai.usage.output_tokens', s.outputTokens),
    );
  }
  if (s.spanType === 'tool') list.push(str('gen_ai.operation.name', 'execute_tool'));
  return list;
}

/** The data set as OTLP requests, one per service, as senders would export it. */
export function dataSetRequests(spans: DataSpan[]): TraceRequest[] {
  const services = [...new Set(spans.map((s) => s.service))];
  return services.map((service) => ({
    resourceSpans: [
      {
        resource: { attributes: [str('service.name', service)], droppedAttributesCount: 0 },
        schemaUrl: '',
        scopeSpans: [
          {
            scope: { name: 'data-set', version: '', attributes: [], droppedAttributesCount: 0 },
            schemaUrl: '',
            spans: spans
              .filter((s) => s.service === service)
              .map(
                (s): Span => ({
                  traceId: s.traceId,
                  spanId: s.spanId,
                  traceState: '',
                  parentSpanId: s.parentSpanId,
                  flags: 0,
                  name: s.name,
                  kind: s.spanType === 'llm' ? 3 : 1,
                  startTimeUnixNano: s.startNs,
                  endTimeUnixNano: s.startNs + s.durationNs,
                  attributes: attributes(s),
                  droppedAttributesCount: 0,
                  events: [],
                  droppedEventsCount: 0,
                  links: [],
                  droppedLinksCount: 0,
                  status: { code: s.error ? 2 : 1, message: s.error ? 'boom' : '' },
                }),
              ),
          },
        ],
      },
    ],
  }));
}
