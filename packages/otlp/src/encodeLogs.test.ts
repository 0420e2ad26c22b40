import { describe, expect, it } from 'vitest';
import { decodeJsonLogsRequest, decodeProtobufLogsRequest } from './decodeLogs.ts';
import { encodeProtobufLogsRequest } from './encodeLogs.ts';

// An OTLP/JSON logs request using every LogRecord field, structured values among them.
const json = JSON.stringify({
  resourceLogs: [
    {
      resource: {
        attributes: [{ key: 'service.name', value: { stringValue: 'chat' } }],
        droppedAttributesCount: 1,
      },
      schemaUrl: 'https://opentelemetry.io/schemas/1.37.0',
      scopeLogs: [
        {
          scope: {
            name: 'openai-v2',
            version: '2.1b0',
            attributes: [{ key: 'a', value: { intValue: '7' } }],
          },
          schemaUrl: 'https://opentelemetry.io/schemas/1.36.0',
          logRecords: [
            {
              timeUnixNano: '1767225600000000001',
              observedTimeUnixNano: '1767225600000000002',
              severityNumber: 9,
              severityText: 'INFO',
              body: {
                kvlistValue: {
                  values: [
                    {
                      key: 'k',
                      value: { arrayValue: { values: [{ doubleValue: 1.5 }, { boolValue: true }] } },
                    },
                  ],
                },
              },
              attributes: [
                { key: 'gen_ai.input.messages', value: { stringValue: '[]' } },
                { key: 'b', value: { bytesValue: 'AAE=' } },
              ],
              droppedAttributesCount: 2,
              flags: 1,
              traceId: '5b8efff798038103d269b633813fc60c',
              spanId: 'eee19b7ec3c1b174',
              eventName: 'gen_ai.client.inference.operation.details',
            },
            { observedTimeUnixNano: '5', body: { stringValue: 'untraced' } },
          ],
        },
      ],
    },
  ],
});

/** The same value with every byte array as a plain array (one decoder gives Buffers, the other Uint8Arrays). */
const plainBytes = (value: unknown): unknown =>
  value instanceof Uint8Array
    ? [...value]
    : Array.isArray(value)
      ? value.map(plainBytes)
      : value !== null && typeof value === 'object'
        ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plainBytes(v)]))
        : value;

describe('encodeProtobufLogsRequest', () => {
  it('encodes a request that decodes back to the same records', () => {
    const request = decodeJsonLogsRequest(json);
    expect(plainBytes(decodeProtobufLogsRequest(encodeProtobufLogsRequest(request)))).toEqual(
      plainBytes(request),
    );
  });

  it('encodes an empty request as an empty message', () => {
    expect(encodeProtobufLogsRequest({ resourceLogs: [] }).byteLength).toBe(0);
  });
});
