import { type HrTime, type Link, SpanKind, SpanStatusCode, TraceFlags } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';

/** A small fast seeded PRNG (mulberry32), so a load is reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const words =
  'the model answers questions about invoices refunds shipping policy customer account order status ticket summary escalation agent tool search retrieval context window token budget latency error retry'.split(
    ' ',
  );
const models = [
  ['openai', 'gpt-4o', 'gpt-4o-2024-08-06'],
  ['openai', 'gpt-4o-mini', 'gpt-4o-mini-2024-07-18'],
  ['anthropic', 'claude-sonnet-4', 'claude-sonnet-4-20250514'],
  ['gcp.vertex_ai', 'gemini-2.5-flash', 'gemini-2.5-flash'],
] as const;

function hex(random: () => number, bytes: number): string {
  let out = '';
  for (let i = 0; i < bytes; i++)
    out += Math.floor(random() * 256)
      .toString(16)
      .padStart(2, '0');
  return out;
}

function text(random: () => number, minChars: number, maxChars: number): string {
  const target = minChars + Math.floor(random() * (maxChars - minChars));
  let out = '';
  while (out.length < target) out += `${words[Math.floor(random() * words.length)]} `;
  return out.slice(0, target);
}

const hr = (ns: bigint): HrTime => [Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n)];

export interface TraceShape {
  /** Unix time of the root's start, in nanoseconds. */
  startNs: bigint;
  service: string;
  jobId?: string | undefined;
  /** Share of traces with a failing tool call (0..1). */
  errorRate?: number;
}

/**
 * One realistic LLM-application trace as SDK spans: an agent root, chain steps, LLM calls with
 * GenAI attributes and prompts / completions of varied length, tool calls, sometimes an error.
 * @example const spans = llmTrace(seededRandom(1), { startNs: BigInt(Date.now()) * 1_000_000n, service: 'support-bot' });
 */
export function llmTrace(
  random: () => number,
  { startNs, service, jobId, errorRate = 0.05 }: TraceShape,
): ReadableSpan[] {
  const traceId = hex(random, 16);
  const resource = resourceFromAttributes({ 'service.name': service, 'deployment.environment': 'bench' });
  const scope = { name: 'llmp-loadgen', version: '1.0.0' };
  const spans: ReadableSpan[] = [];
  const fails = random() < errorRate;

  function span(
    name: string,
    kind: SpanKind,
    parent: string | undefined,
    start: bigint,
    durationNs: bigint,
    attributes: ReadableSpan['attributes'],
    extra: { error?: string; links?: Link[] } = {},
  ): string {
    const spanId = hex(random, 8);
    const end = start + durationNs;
    spans.push({
      name,
      kind,
      spanContext: () => ({ traceId, spanId, traceFlags: TraceFlags.SAMPLED }),
      parentSpanContext: parent ? { traceId, spanId: parent, traceFlags: TraceFlags.SAMPLED } : undefined,
      startTime: hr(start),
      endTime: hr(end),
      duration: hr(durationNs),
      status: extra.error
        ? { code: SpanStatusCode.ERROR, message: extra.error }
        : { code: SpanStatusCode.UNSET },
      attributes: jobId ? { ...attributes, 'llmp.job.id': jobId } : attributes,
      links: extra.links ?? [],
      events: extra.error
        ? [
            {
              name: 'exception',
              time: hr(end),
              attributes: { 'exception.type': 'ToolError', 'exception.message': extra.error },
            },
          ]
        : [],
      ended: true,
      resource,
      instrumentationScope: scope,
      droppedAttributesCount: 0,
      droppedEventsCount: 0,
      droppedLinksCount: 0,
    } as unknown as ReadableSpan);
    return spanId;
  }

  const steps = 1 + Math.floor(random() * 3);
  let cursor = startNs + 1_000_000n;
  const rootId = hex(random, 8);
  for (let s = 0; s < steps; s++) {
    const stepStart = cursor;
    const calls = 1 + Math.floor(random() * 2);
    const stepId = span(`chain step ${s}`, SpanKind.INTERNAL, rootId, stepStart, 1n, {
      'traceloop.span.kind': 'task',
    });
    const stepIndex = spans.length - 1;
    for (let c = 0; c < calls; c++) {
      const [provider, model, responseModel] = models[Math.floor(random() * models.length)]!;
      const input = 200 + Math.floor(random() * 3000);
      const output = 20 + Math.floor(random() * 600);
      const duration = BigInt(200 + Math.floor(random() * 2500)) * 1_000_000n;
      span(`chat ${model}`, SpanKind.CLIENT, stepId, cursor, duration, {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': provider,
        'gen_ai.request.model': model,
        'gen_ai.response.model': responseModel,
        'gen_ai.usage.input_tokens': input,
        'gen_ai.usage.output_tokens': output,
        'gen_ai.request.temperature': Math.round(random() * 100) / 100,
        'gen_ai.input.messages': JSON.stringify([
          { role: 'user', parts: [{ type: 'text', content: text(random, 50, 4000) }] },
        ]),
        'gen_ai.output.messages': JSON.stringify([
          { role: 'assistant', parts: [{ type: 'text', content: text(random, 20, 1500) }] },
        ]),
      });
      cursor += duration;
      if (random() < 0.6) {
        const toolDuration = BigInt(5 + Math.floor(random() * 300)) * 1_000_000n;
        const error = fails && s === steps - 1 && c === calls - 1 ? 'search backend timed out' : undefined;
        span(
          'execute_tool search_orders',
          SpanKind.INTERNAL,
          stepId,
          cursor,
          toolDuration,
          {
            'gen_ai.operation.name': 'execute_tool',
            'gen_ai.tool.name': 'search_orders',
            'tool.arguments': JSON.stringify({ query: text(random, 10, 80) }),
          },
          error ? { error } : {},
        );
        cursor += toolDuration;
      }
    }
    // The step span covers its children: set its duration now they are known.
    const step = spans[stepIndex] as unknown as { endTime: HrTime; duration: HrTime };
    step.endTime = hr(cursor);
    step.duration = hr(cursor - stepStart);
  }
  const rootDuration = cursor - startNs + 1_000_000n;
  spans.push({
    name: 'invoke_agent support-bot',
    kind: SpanKind.SERVER,
    spanContext: () => ({ traceId, spanId: rootId, traceFlags: TraceFlags.SAMPLED }),
    parentSpanContext: undefined,
    startTime: hr(startNs),
    endTime: hr(startNs + rootDuration),
    duration: hr(rootDuration),
    status: fails ? { code: SpanStatusCode.ERROR, message: 'tool failed' } : { code: SpanStatusCode.OK },
    attributes: {
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'support-bot',
      'gen_ai.conversation.id': `conv-${hex(random, 4)}`,
      'user.id': `user-${Math.floor(random() * 1000)}`,
      ...(jobId ? { 'llmp.job.id': jobId } : {}),
    },
    links: [],
    events: [],
    ended: true,
    resource,
    instrumentationScope: scope,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  } as unknown as ReadableSpan);
  return spans;
}
