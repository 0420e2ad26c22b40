import type { AnyValue, KeyValue, Span, TraceRequest } from '@llmp/otlp';
import { emptyGenAiFields, type GenAiFields } from '@llmp/otlp';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { preview } from './genAiRowColumns.ts';
import { jobLink } from './spanColumns.ts';
import { spanRows } from './spanRows.ts';

const str = (value: string): AnyValue => ({ type: 'string', value });
const int = (value: bigint): AnyValue => ({ type: 'int', value });
const kv = (key: string, value: AnyValue): KeyValue => ({ key, value });

function span(overrides: Partial<Span> = {}): Span {
  return {
    traceId: '5b8efff798038103d269b633813fc60c',
    spanId: 'eee19b7ec3c1b174',
    traceState: 'vendor=1',
    parentSpanId: '00f067aa0ba902b7',
    flags: 257,
    name: 'chat gpt-4o',
    kind: 3,
    startTimeUnixNano: 1700000000123456789n,
    endTimeUnixNano: 1700000001623456790n,
    attributes: [],
    droppedAttributesCount: 1,
    events: [],
    droppedEventsCount: 2,
    links: [],
    droppedLinksCount: 3,
    status: { code: 2, message: 'rate limited' },
    ...overrides,
  };
}

function request(spans: Span[], resource: KeyValue[] = [], scope: KeyValue[] = []): TraceRequest {
  return {
    resourceSpans: [
      {
        resource: { attributes: resource, droppedAttributesCount: 0 },
        schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
        scopeSpans: [
          {
            scope: { name: 'openai', version: '1.2.3', attributes: scope, droppedAttributesCount: 0 },
            schemaUrl: '',
            spans,
          },
        ],
      },
    ],
  };
}

describe('spanRows', () => {
  it('makes one row per span with the Collector-style columns', () => {
    const rows = spanRows(
      'acme',
      request(
        [
          span({
            attributes: [kv('http.status_code', int(429n)), kv('gen_ai.request.model', str('gpt-4o'))],
            events: [
              {
                timeUnixNano: 1700000000500000000n,
                name: 'gen_ai.choice',
                attributes: [kv('index', int(0n))],
                droppedAttributesCount: 0,
              },
              {
                timeUnixNano: 1700000000600000000n,
                name: 'retry',
                attributes: [],
                droppedAttributesCount: 0,
              },
            ],
            links: [
              {
                traceId: '0af7651916cd43dd8448eb211c80319c',
                spanId: 'b7ad6b7169203331',
                traceState: 'k=v',
                attributes: [kv('link.kind', str('follows'))],
                droppedAttributesCount: 0,
                flags: 256,
              },
            ],
          }),
        ],
        [kv('service.name', str('checkout')), kv('host.cpus', int(8n))],
        [kv('scope.flag', { type: 'bool', value: true })],
      ),
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      project_id: 'acme',
      Timestamp: '2023-11-14 22:13:20.123456789',
      TraceId: '5b8efff798038103d269b633813fc60c',
      SpanId: 'eee19b7ec3c1b174',
      ParentSpanId: '00f067aa0ba902b7',
      TraceState: 'vendor=1',
      TraceFlags: 257,
      SpanName: 'chat gpt-4o',
      SpanKind: 'Client',
      ServiceName: 'checkout',
      ResourceAttributes: { 'service.name': 'checkout', 'host.cpus': '8' },
      ResourceAttributeTypes: { 'host.cpus': 'int' },
      ResourceSchemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
      ScopeName: 'openai',
      ScopeVersion: '1.2.3',
      ScopeAttributes: { 'scope.flag': 'true' },
      ScopeAttributeTypes: { 'scope.flag': 'bool' },
      SpanAttributes: { 'http.status_code': '429', 'gen_ai.request.model': 'gpt-4o' },
      SpanAttributeTypes: { 'http.status_code': 'int' },
      Duration: '1500000001',
      StatusCode: 'Error',
      StatusMessage: 'rate limited',
      'Events.Timestamp': ['2023-11-14 22:13:20.500000000', '2023-11-14 22:13:20.600000000'],
      'Events.Name': ['gen_ai.choice', 'retry'],
      'Events.Attributes': [{ index: '0' }, {}],
      'Events.AttributeTypes': [{ index: 'int' }, {}],
      'Links.TraceId': ['0af7651916cd43dd8448eb211c80319c'],
      'Links.SpanId': ['b7ad6b7169203331'],
      'Links.TraceState': ['k=v'],
      'Links.Flags': [256],
      'Links.Attributes': [{ 'link.kind': 'follows' }],
      'Links.AttributeTypes': [{}],
      DroppedAttributesCount: 1,
      DroppedEventsCount: 2,
      DroppedLinksCount: 3,
      // GenAI columns come from the genai processor only; none was given here.
      span_type: 'other',
      gen_ai_request_model: '',
    });
  });

  it.each([
    [0, 'Unspecified'],
    [1, 'Internal'],
    [2, 'Server'],
    [3, 'Client'],
    [4, 'Producer'],
    [5, 'Consumer'],
    [9, '9'],
  ])('names span kind %d %s', (kind, name) => {
    expect(spanRows('p', request([span({ kind })]))[0]!.SpanKind).toBe(name);
  });

  it.each([
    [0, 'Unset'],
    [1, 'Ok'],
    [2, 'Error'],
    [7, '7'],
  ])('names status code %d %s', (code, name) => {
    expect(spanRows('p', request([span({ status: { code, message: '' } })]))[0]!.StatusCode).toBe(name);
  });

  it('gives a zero duration when the end is not after the start', () => {
    const rows = spanRows(
      'p',
      request([
        span({ startTimeUnixNano: 10n, endTimeUnixNano: 5n }),
        span({ startTimeUnixNano: 10n, endTimeUnixNano: 10n }),
      ]),
    );
    expect(rows.map((r) => r.Duration)).toEqual(['0', '0']);
  });

  it('takes the service name from the last string service.name of the resource', () => {
    const name = (resource: KeyValue[]) => spanRows('p', request([span()], resource))[0]!.ServiceName;
    expect(name([])).toBe('');
    expect(name([kv('service.name', str('a')), kv('service.name', str('b'))])).toBe('b');
    expect(name([kv('service.name', str('a')), kv('service.name', int(1n))])).toBe('a');
  });

  it('makes rows for every span of every scope and resource', () => {
    const two: TraceRequest = {
      resourceSpans: [
        ...request([span({ name: 'a' }), span({ name: 'b' })], [kv('service.name', str('one'))])
          .resourceSpans,
        ...request([span({ name: 'c' })], [kv('service.name', str('two'))]).resourceSpans,
      ],
    };
    expect(spanRows('p', two).map((r) => [r.SpanName, r.ServiceName])).toEqual([
      ['a', 'one'],
      ['b', 'one'],
      ['c', 'two'],
    ]);
    expect(spanRows('p', { resourceSpans: [] })).toEqual([]);
  });

  it('links a job from the span first, then the scope, then the resource', () => {
    const row = (spanAttrs: KeyValue[], scopeAttrs: KeyValue[], resourceAttrs: KeyValue[]) =>
      spanRows('p', request([span({ attributes: spanAttrs })], resourceAttrs, scopeAttrs))[0]!;
    const all = row(
      [kv('llmp.job.id', str('from-span'))],
      [kv('llmp.job.id', str('from-scope')), kv('llmp.job.version', str('v2'))],
      [
        kv('llmp.job.id', str('from-resource')),
        kv('llmp.job.version', str('v1')),
        kv('llmp.job.type', str('eval')),
      ],
    );
    expect(all).toMatchObject({ job_id: 'from-span', job_version: 'v2', job_type: 'eval' });
    expect(row([], [kv('llmp.job.id', str('from-scope'))], [kv('llmp.job.id', str('r'))]).job_id).toBe(
      'from-scope',
    );
    expect(row([], [], [kv('llmp.job.id', str('from-resource'))]).job_id).toBe('from-resource');
    expect(row([], [], [])).toMatchObject({ job_id: '', job_version: '', job_type: '' });
    // A number is written as text.
    expect(row([], [], [kv('llmp.job.id', int(42n))]).job_id).toBe('42');
  });

  it('fills the GenAI columns from the fields the genai processor attached', () => {
    const llm = span({ spanId: '0000000000000001' });
    const other = span({ spanId: '0000000000000002' });
    const fields: GenAiFields = {
      ...emptyGenAiFields(),
      spanType: 'llm',
      operation: 'chat',
      provider: 'openai',
      requestModel: 'gpt-4o',
      responseModel: 'gpt-4o-2024-08-06',
      inputTokens: 1200,
      outputTokens: 345,
      cacheReadTokens: 100,
      cacheWriteTokens: 7,
      reasoningTokens: 30,
      inputText: `user: ${'a'.repeat(300)}`,
      outputText: 'assistant:\n  hello\t there',
      sessionId: 'conv-1',
      userId: 'u-7',
      costUsd: 0.25,
      costSource: 'price',
      priceId: 'openai/gpt-4o@2024-10-01',
    };
    const rows = spanRows('p', request([llm, other]), (s) => (s === llm ? fields : undefined));
    expect(rows[0]).toMatchObject({
      span_type: 'llm',
      gen_ai_operation: 'chat',
      gen_ai_provider: 'openai',
      gen_ai_request_model: 'gpt-4o',
      gen_ai_response_model: 'gpt-4o-2024-08-06',
      gen_ai_input_tokens: 1200,
      gen_ai_output_tokens: 345,
      gen_ai_cache_read_tokens: 100,
      gen_ai_cache_write_tokens: 7,
      gen_ai_reasoning_tokens: 30,
      gen_ai_cost_usd: 0.25,
      gen_ai_cost_source: 'price',
      gen_ai_price_id: 'openai/gpt-4o@2024-10-01',
      gen_ai_input_text: fields.inputText,
      gen_ai_output_text: fields.outputText,
      gen_ai_input_preview: `user: ${'a'.repeat(194)}`,
      gen_ai_output_preview: 'assistant: hello there',
      session_id: 'conv-1',
      user_id: 'u-7',
    });
    expect(rows[1]).toMatchObject({
      span_type: 'other',
      gen_ai_provider: '',
      gen_ai_input_tokens: 0,
      gen_ai_cost_usd: null,
      gen_ai_cost_source: '',
      gen_ai_input_preview: '',
      session_id: '',
    });
  });
});

describe('preview', () => {
  it('collapses whitespace and cuts at 200 characters without splitting a character', () => {
    expect(preview('  a\n\n b\t c  ')).toBe('a b c');
    expect(preview('☃'.repeat(250))).toBe('☃'.repeat(200));
    expect(preview('😀'.repeat(250))).toBe('😀'.repeat(200));
    expect(preview('word '.repeat(100))).toBe('word '.repeat(40));
    expect(preview(`${'a'.repeat(199)}${'😀'.repeat(5)}`)).toBe(`${'a'.repeat(199)}😀`);
  });

  // What preview means, written plainly; preview itself skips the copy when it can.
  const reference = (text: string) => {
    const collapsed = text.slice(0, 800).replace(/\s+/g, ' ').trim();
    return collapsed.length <= 200 ? collapsed : Array.from(collapsed).slice(0, 200).join('');
  };

  it('treats every UTF-16 unit as the regular expression \\s does', () => {
    for (let c = 0; c <= 0xffff; c++) {
      const unit = String.fromCharCode(c);
      for (const text of [`a${unit}b`, `${'a '.repeat(100)}${unit}${'b'.repeat(300)}`]) {
        expect(preview(text)).toBe(reference(text));
      }
    }
  });

  it('is the collapsed, trimmed text cut at 200 characters, for any text', () => {
    const unit = fc.constantFrom(' ', ' ', '\n', '\t', '\u00a0', '\u2028', 'word', 'a', 'é', '😀', '\ud800');
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit, maxLength: 1200 }), fc.string({ unit: 'binary', maxLength: 900 })),
        (text) => {
          expect(preview(text)).toBe(reference(text));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('jobLink', () => {
  it('reads bools and numbers as text', () => {
    expect(
      jobLink([kv('llmp.job.version', int(3n)), kv('llmp.job.type', { type: 'bool', value: true })], [], []),
    ).toEqual({ job_id: '', job_version: '3', job_type: 'true' });
  });
});
