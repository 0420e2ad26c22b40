import { gzipSync } from 'node:zlib';
import { type LogBatch, logsProtoTypes } from '@llmp/otlp';
import { type Consumer, retryable } from '@llmp/pipeline';
import { describe, expect, it } from 'vitest';
import { otlpHttpApp } from './otlpHttpApp.ts';

const traceId = '5b8efff798038103d269b633813fc60c';
const spanId = 'eee19b7ec3c1b174';

function sink(): Consumer<LogBatch> & { batches: LogBatch[] } {
  const batches: LogBatch[] = [];
  return {
    batches,
    async consume(batch) {
      batches.push(batch);
    },
  };
}

/** OTLP/JSON logs as an SDK sends them: one good record, one with a 3-byte trace id. */
const jsonLogs = JSON.stringify({
  resourceLogs: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'chat' } }] },
      scopeLogs: [
        {
          scope: { name: 'sdk' },
          logRecords: [
            {
              timeUnixNano: '1700000000123456789',
              severityNumber: 'SEVERITY_NUMBER_INFO',
              eventName: 'gen_ai.client.inference.operation.details',
              traceId,
              spanId,
              attributes: [
                {
                  key: 'gen_ai.input.messages',
                  value: {
                    arrayValue: {
                      values: [
                        { kvlistValue: { values: [{ key: 'role', value: { stringValue: 'user' } }] } },
                      ],
                    },
                  },
                },
              ],
            },
            { timeUnixNano: '1700000000123456789', traceId: 'abcdef', body: { stringValue: 'x' } },
          ],
        },
      ],
    },
  ],
});

function protobufLogs(records: number): Uint8Array {
  const { request } = logsProtoTypes();
  return request
    .encode(
      request.fromObject({
        resourceLogs: [
          {
            scopeLogs: [
              {
                logRecords: Array.from({ length: records }, (_, i) => ({
                  timeUnixNano: 1700000000000000000 + i,
                  severityText: 'INFO',
                  body: { stringValue: `line ${i}` },
                  traceId: Buffer.from(traceId, 'hex'),
                  spanId: Buffer.from(spanId, 'hex'),
                })),
              },
            ],
          },
        ],
      }),
    )
    .finish();
}

describe('POST /v1/logs', () => {
  it('takes OTLP/JSON, hands on the good records and answers the bad one as a partial success', async () => {
    const next = sink();
    const app = otlpHttpApp({ next: sink() as never, logs: next, maxBodySize: 1 << 20 });
    const res = await app.request('/v1/logs', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: jsonLogs,
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      partialSuccess: { rejectedLogRecords: string; errorMessage: string };
    };
    expect(body.partialSuccess.rejectedLogRecords).toBe('1');
    expect(next.batches).toHaveLength(1);
    const record = next.batches[0]!.request.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!;
    expect(record).toMatchObject({ traceId, spanId, severityNumber: 9 });
    expect(record.attributes[0]!.value.type).toBe('array');
  });

  it('takes gzipped OTLP/protobuf and answers an empty ExportLogsServiceResponse', async () => {
    const next = sink();
    const app = otlpHttpApp({ logs: next, maxBodySize: 1 << 20 });
    const res = await app.request('/v1/logs', {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' },
      body: gzipSync(protobufLogs(3)),
    });
    expect(res.status).toBe(200);
    expect(new Uint8Array(await res.arrayBuffer())).toHaveLength(0);
    expect(next.batches[0]!.logRecordCount).toBe(3);
  });

  it('refuses a record past the attribute bound with 400 and a retryable store failure with 503', async () => {
    const tooMany = JSON.stringify({
      resourceLogs: [
        {
          scopeLogs: [
            {
              logRecords: [
                {
                  attributes: Array.from({ length: 3 }, (_, i) => ({ key: `k${i}`, value: { intValue: i } })),
                },
              ],
            },
          ],
        },
      ],
    });
    const values = { maxValueDepth: 4, maxAttributes: 2, maxValueElements: 10, maxDecodedBytes: 1 << 20 };
    const bounded = otlpHttpApp({ logs: sink(), maxBodySize: 1 << 20, values });
    const refused = await bounded.request('/v1/logs', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: tooMany,
    });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { message: string }).message).toContain('maxAttributes');

    const down = otlpHttpApp({
      logs: {
        consume: async () => {
          throw retryable('store down');
        },
      },
      maxBodySize: 1 << 20,
    });
    const unavailable = await down.request('/v1/logs', {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: protobufLogs(1),
    });
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers.get('retry-after')).toBe('1');
  });

  it('is not served without a logs pipeline (404), as the Collector registers only configured signals', async () => {
    const app = otlpHttpApp({ next: sink() as never, maxBodySize: 1 << 20 });
    const res = await app.request('/v1/logs', {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: protobufLogs(1),
    });
    expect(res.status).toBe(404);
  });
});
