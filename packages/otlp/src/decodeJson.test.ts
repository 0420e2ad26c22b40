import { describe, expect, it } from 'vitest';
import { decodeJsonRequest } from './decodeJson.ts';
import { OtlpDecodeError } from './otlpDecodeError.ts';
import type { AnyValue, Span } from './traceModel.ts';

/** OTLP/JSON text for one span with the given fields (keys in lowerCamelCase). */
function oneSpan(fields: Record<string, unknown>): string {
  return JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [fields] }] }] });
}

function firstSpan(text: string): Span {
  return decodeJsonRequest(text).resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
}

/** OTLP/JSON text with one attribute whose value is the given AnyValue text. */
function attributeValueText(valueJson: string): string {
  return `{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"k","value":${valueJson}}]}]}]}]}`;
}

/** The decoded value of one attribute given as OTLP/JSON AnyValue text. */
function attributeValue(valueJson: string): AnyValue {
  return firstSpan(attributeValueText(valueJson)).attributes[0]!.value;
}

function decodeError(text: string): OtlpDecodeError {
  try {
    decodeJsonRequest(text);
  } catch (error) {
    expect(error).toBeInstanceOf(OtlpDecodeError);
    return error as OtlpDecodeError;
  }
  throw new Error('expected decodeJsonRequest to throw');
}

const spanPath = 'resourceSpans[0].scopeSpans[0].spans[0]';

describe('decodeJsonRequest', () => {
  it('decodes a full request with defaults for absent fields', () => {
    const request = decodeJsonRequest(
      JSON.stringify({
        resourceSpans: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }] },
            schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
            scopeSpans: [
              {
                scope: { name: 'sdk', version: '1.0.0' },
                spans: [
                  {
                    traceId: '5b8efff798038103d269b633813fc60c',
                    spanId: 'eee19b7ec3c1b174',
                    name: 'root',
                    kind: 2,
                    startTimeUnixNano: '1700000000000000000',
                    endTimeUnixNano: '1700000001000000000',
                    events: [{ timeUnixNano: '1700000000500000000', name: 'e' }],
                    links: [{ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' }],
                    status: { code: 1 },
                  },
                ],
              },
            ],
          },
        ],
      }),
    );
    expect(request).toEqual({
      resourceSpans: [
        {
          resource: {
            attributes: [{ key: 'service.name', value: { type: 'string', value: 'checkout' } }],
            droppedAttributesCount: 0,
          },
          schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
          scopeSpans: [
            {
              scope: { name: 'sdk', version: '1.0.0', attributes: [], droppedAttributesCount: 0 },
              schemaUrl: '',
              spans: [
                {
                  traceId: '5b8efff798038103d269b633813fc60c',
                  spanId: 'eee19b7ec3c1b174',
                  traceState: '',
                  parentSpanId: '',
                  flags: 0,
                  name: 'root',
                  kind: 2,
                  startTimeUnixNano: 1700000000000000000n,
                  endTimeUnixNano: 1700000001000000000n,
                  attributes: [],
                  droppedAttributesCount: 0,
                  events: [
                    {
                      timeUnixNano: 1700000000500000000n,
                      name: 'e',
                      attributes: [],
                      droppedAttributesCount: 0,
                    },
                  ],
                  droppedEventsCount: 0,
                  links: [
                    {
                      traceId: '0af7651916cd43dd8448eb211c80319c',
                      spanId: 'b7ad6b7169203331',
                      traceState: '',
                      attributes: [],
                      droppedAttributesCount: 0,
                      flags: 0,
                    },
                  ],
                  droppedLinksCount: 0,
                  status: { code: 1, message: '' },
                },
              ],
            },
          ],
        },
      ],
    });
  });

  it('takes hex ids in upper and lower case and keeps them lowercase', () => {
    const span = firstSpan(
      oneSpan({
        traceId: '5B8EFFF798038103D269B633813FC60C',
        spanId: 'EeE19b7eC3c1B174',
        parentSpanId: '00F067AA0BA902B7',
        links: [{ traceId: '0AF7651916CD43DD8448EB211C80319C', spanId: 'B7AD6B7169203331' }],
      }),
    );
    expect(span.traceId).toBe('5b8efff798038103d269b633813fc60c');
    expect(span.spanId).toBe('eee19b7ec3c1b174');
    expect(span.parentSpanId).toBe('00f067aa0ba902b7');
    expect(span.links[0]!.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(span.links[0]!.spanId).toBe('b7ad6b7169203331');
  });

  it('takes int64 as a decimal string and as a JSON number', () => {
    const span = firstSpan(
      oneSpan({ startTimeUnixNano: '1700000000123456789', endTimeUnixNano: 1700000001 }),
    );
    expect(span.startTimeUnixNano).toBe(1700000000123456789n);
    expect(span.endTimeUnixNano).toBe(1700000001n);
  });

  it('keeps every digit of nanosecond times given as bare JSON numbers', () => {
    const text =
      '{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":1700000000123456789,' +
      '"endTimeUnixNano": 1700000000987654321 ,"events":[{"timeUnixNano":\n1700000000555555555\n}]}]}]}]}';
    const span = firstSpan(text);
    expect(span.startTimeUnixNano).toBe(1700000000123456789n);
    expect(span.endTimeUnixNano).toBe(1700000000987654321n);
    expect(span.events[0]!.timeUnixNano).toBe(1700000000555555555n);
  });

  it('keeps every digit of large int attribute values given as bare JSON numbers', () => {
    expect(attributeValue('{"intValue":9007199254740993}')).toEqual({
      type: 'int',
      value: 9007199254740993n,
    });
    expect(attributeValue('{"intValue":-9223372036854775808}')).toEqual({
      type: 'int',
      value: -(2n ** 63n),
    });
    expect(attributeValue('{"intValue":"9223372036854775807"}')).toEqual({
      type: 'int',
      value: 2n ** 63n - 1n,
    });
  });

  it('refuses int64 values out of range or not integral', () => {
    expect(decodeError(oneSpan({ startTimeUnixNano: '-1' })).message).toContain(
      `${spanPath}.startTimeUnixNano`,
    );
    expect(decodeError(oneSpan({ startTimeUnixNano: 1.5 })).message).toContain(
      `${spanPath}.startTimeUnixNano`,
    );
    expect(decodeError(attributeValueText('{"intValue":"9223372036854775808"}')).message).toContain(
      `${spanPath}.attributes[0].value.intValue`,
    );
  });

  it('takes enums as integers and as names', () => {
    expect(firstSpan(oneSpan({ kind: 2, status: { code: 2 } })).kind).toBe(2);
    const named = firstSpan(oneSpan({ kind: 'SPAN_KIND_SERVER', status: { code: 'STATUS_CODE_ERROR' } }));
    expect(named.kind).toBe(2);
    expect(named.status.code).toBe(2);
    const client = firstSpan(oneSpan({ kind: 'SPAN_KIND_CLIENT', status: { code: 'STATUS_CODE_OK' } }));
    expect(client.kind).toBe(3);
    expect(client.status.code).toBe(1);
  });

  it('accepts the proto snake_case field names', () => {
    const text = JSON.stringify({
      resource_spans: [
        {
          schema_url: 'https://schema',
          resource: { attributes: [{ key: 'n', value: { int_value: '7' } }], dropped_attributes_count: 1 },
          scope_spans: [
            {
              scope: { name: 's' },
              spans: [
                {
                  trace_id: '5B8EFFF798038103D269B633813FC60C',
                  span_id: 'eee19b7ec3c1b174',
                  parent_span_id: '00f067aa0ba902b7',
                  trace_state: 'a=b',
                  start_time_unix_nano: '1700000000123456789',
                  // Replaced below: a bare JSON number past 2^53 cannot be a JS literal without losing digits.
                  end_time_unix_nano: 'END',
                  dropped_events_count: 4,
                  events: [{ time_unix_nano: '5', name: 'e' }],
                  attributes: [
                    { key: 'b', value: { bool_value: true } },
                    { key: 'd', value: { double_value: 0.5 } },
                    { key: 'x', value: { bytes_value: 'AQI=' } },
                    { key: 'a', value: { array_value: { values: [{ string_value: 's' }] } } },
                    {
                      key: 'kv',
                      value: { kvlist_value: { values: [{ key: 'i', value: { int_value: 1 } }] } },
                    },
                  ],
                },
              ],
            },
          ],
        },
      ],
    }).replace('"END"', '1700000000223456789');
    const rs = decodeJsonRequest(text).resourceSpans[0]!;
    expect(rs.schemaUrl).toBe('https://schema');
    expect(rs.resource).toEqual({
      attributes: [{ key: 'n', value: { type: 'int', value: 7n } }],
      droppedAttributesCount: 1,
    });
    const span = rs.scopeSpans[0]!.spans[0]!;
    expect(span.traceId).toBe('5b8efff798038103d269b633813fc60c');
    expect(span.spanId).toBe('eee19b7ec3c1b174');
    expect(span.parentSpanId).toBe('00f067aa0ba902b7');
    expect(span.traceState).toBe('a=b');
    expect(span.startTimeUnixNano).toBe(1700000000123456789n);
    expect(span.endTimeUnixNano).toBe(1700000000223456789n);
    expect(span.droppedEventsCount).toBe(4);
    expect(span.events[0]!.timeUnixNano).toBe(5n);
    expect(span.attributes).toEqual([
      { key: 'b', value: { type: 'bool', value: true } },
      { key: 'd', value: { type: 'double', value: 0.5 } },
      { key: 'x', value: { type: 'bytes', value: new Uint8Array([1, 2]) } },
      { key: 'a', value: { type: 'array', value: [{ type: 'string', value: 's' }] } },
      { key: 'kv', value: { type: 'kvlist', value: [{ key: 'i', value: { type: 'int', value: 1n } }] } },
    ]);
  });

  it('decodes every AnyValue type', () => {
    expect(attributeValue('{"stringValue":"hi"}')).toEqual({ type: 'string', value: 'hi' });
    expect(attributeValue('{"stringValue":""}')).toEqual({ type: 'string', value: '' });
    expect(attributeValue('{"boolValue":true}')).toEqual({ type: 'bool', value: true });
    expect(attributeValue('{"boolValue":false}')).toEqual({ type: 'bool', value: false });
    expect(attributeValue('{"intValue":"-42"}')).toEqual({ type: 'int', value: -42n });
    expect(attributeValue('{"intValue":-42}')).toEqual({ type: 'int', value: -42n });
    expect(attributeValue('{"intValue":0}')).toEqual({ type: 'int', value: 0n });
    expect(attributeValue('{"doubleValue":1.25}')).toEqual({ type: 'double', value: 1.25 });
    expect(attributeValue('{"doubleValue":"2.5"}')).toEqual({ type: 'double', value: 2.5 });
    expect(attributeValue('{"doubleValue":"-Infinity"}')).toEqual({
      type: 'double',
      value: Number.NEGATIVE_INFINITY,
    });
    expect(attributeValue('{"doubleValue":"NaN"}')).toEqual({ type: 'double', value: Number.NaN });
    expect(attributeValue('{"arrayValue":{"values":[{"intValue":"1"},{"stringValue":"x"},{}]}}')).toEqual({
      type: 'array',
      value: [{ type: 'int', value: 1n }, { type: 'string', value: 'x' }, { type: 'empty' }],
    });
    expect(attributeValue('{"arrayValue":{}}')).toEqual({ type: 'array', value: [] });
    expect(
      attributeValue(
        '{"kvlistValue":{"values":[{"key":"a","value":{"kvlistValue":{"values":[]}}},{"key":"b"}]}}',
      ),
    ).toEqual({
      type: 'kvlist',
      value: [
        { key: 'a', value: { type: 'kvlist', value: [] } },
        { key: 'b', value: { type: 'empty' } },
      ],
    });
    expect(attributeValue('{}')).toEqual({ type: 'empty' });
    expect(attributeValue('null')).toEqual({ type: 'empty' });
  });

  it('decodes bytesValue from base64 (standard and URL-safe alphabets)', () => {
    const value = new Uint8Array([0, 1, 250, 251, 255]);
    const standard = Buffer.from(value).toString('base64');
    const urlSafe = Buffer.from(value).toString('base64url');
    expect(standard).not.toBe(urlSafe);
    for (const text of [standard, urlSafe]) {
      const decoded = attributeValue(JSON.stringify({ bytesValue: text }));
      expect(decoded.type).toBe('bytes');
      expect(Array.from((decoded as { value: Uint8Array }).value)).toEqual(Array.from(value));
    }
    expect(decodeError(attributeValueText('{"bytesValue":"not base64!"}')).message).toContain(
      `${spanPath}.attributes[0].value.bytesValue`,
    );
  });

  it('names the path of a field with the wrong type', () => {
    const kind = decodeError(oneSpan({ kind: true }));
    expect(kind.message).toContain(`${spanPath}.kind`);
    expect(kind.message).toMatch(/SPAN_KIND_SERVER/);
    expect(decodeError(oneSpan({ kind: 'SERVER' })).message).toContain(`${spanPath}.kind`);
    expect(decodeError(oneSpan({ status: { code: 'ERROR' } })).message).toContain(`${spanPath}.status.code`);
    expect(decodeError(oneSpan({ name: 5 })).message).toContain(`${spanPath}.name`);
    expect(decodeError(oneSpan({ traceId: 12 })).message).toContain(`${spanPath}.traceId`);
    expect(decodeError(oneSpan({ attributes: {} })).message).toContain(`${spanPath}.attributes`);
    expect(decodeError(oneSpan({ events: [{ name: 'e', timeUnixNano: 'soon' }] })).message).toContain(
      `${spanPath}.events[0].timeUnixNano`,
    );
    expect(decodeError(oneSpan({ links: [{ flags: -1 }] })).message).toContain(`${spanPath}.links[0].flags`);
    expect(decodeError(attributeValueText('{"boolValue":"true"}')).message).toContain(
      `${spanPath}.attributes[0].value.boolValue`,
    );
    const second = JSON.stringify({
      resourceSpans: [{ scopeSpans: [{ spans: [{}, { kind: {} }] }] }],
    });
    expect(decodeError(second).message).toContain('resourceSpans[0].scopeSpans[0].spans[1].kind');
    expect(decodeError('{"resourceSpans":{}}').message).toContain('resourceSpans');
    expect(decodeError('{"resourceSpans":[{"scopeSpans":[{"spans":[7]}]}]}').message).toContain(spanPath);
  });

  it('names a misplaced integer past 2^53 in its message instead of failing to describe it (found by fuzzing)', () => {
    expect(() => decodeJsonRequest('[-9007199254740993]')).toThrow(OtlpDecodeError);
    expect(() => decodeJsonRequest('{"resourceSpans":{"":-9007199254740993}}')).toThrow(
      /resourceSpans: expected an array, got \{"":"-9007199254740993"\}/,
    );
  });

  it('throws OtlpDecodeError for invalid JSON and for a body that is not an object', () => {
    expect(decodeError('{"resourceSpans":[').message).toMatch(/^invalid JSON/);
    expect(decodeError('').message).toMatch(/^invalid JSON/);
    expect(decodeError('[]').message).toContain('(body)');
    expect(decodeError('null').message).toContain('(body)');
    expect(decodeError('"text"').message).toContain('(body)');
  });

  it('treats null fields as absent and an empty object as an empty request', () => {
    expect(decodeJsonRequest('{}')).toEqual({ resourceSpans: [] });
    expect(decodeJsonRequest('{"resourceSpans":null}')).toEqual({ resourceSpans: [] });
    const span = firstSpan(oneSpan({ name: null, kind: null, startTimeUnixNano: null }));
    expect(span.name).toBe('');
    expect(span.kind).toBe(0);
    expect(span.startTimeUnixNano).toBe(0n);
  });
});
