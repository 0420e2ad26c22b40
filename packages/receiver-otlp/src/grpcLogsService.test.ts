import * as grpc from '@grpc/grpc-js';
import { type LogBatch, logsProtoTypes, type TraceBatch } from '@llmp/otlp';
import { type Consumer, createLogger, retryable } from '@llmp/pipeline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logsServiceDefinition } from './grpcLogsService.ts';
import { type OtlpReceiver, otlpReceiverFactory } from './otlpReceiver.ts';
import { otlpReceiverConfig } from './otlpReceiverConfig.ts';

const settings = { id: 'otlp', logger: createLogger({ level: 'silent' }) };
const config = otlpReceiverConfig.parse({
  grpc: { endpoint: '127.0.0.1:0' },
  http: { endpoint: '127.0.0.1:0' },
});
const LogsServiceClient = grpc.makeGenericClientConstructor(logsServiceDefinition, 'LogsService');

function exportCall(client: grpc.Client, body: Uint8Array) {
  return new Promise<{ error: grpc.ServiceError | null; response?: Buffer }>((resolve) => {
    (client as unknown as Record<string, (...args: unknown[]) => unknown>).Export!(
      Buffer.from(body),
      (error: grpc.ServiceError | null, response?: Buffer) => resolve({ error, response }),
    );
  });
}

const logsRequest = (traceIds: string[]) => {
  const { request } = logsProtoTypes();
  return request
    .encode(
      request.fromObject({
        resourceLogs: [
          {
            scopeLogs: [
              {
                logRecords: traceIds.map((id) => ({
                  timeUnixNano: 1700000000000000000,
                  body: { stringValue: 'hi' },
                  traceId: Buffer.from(id, 'hex'),
                })),
              },
            ],
          },
        ],
      }),
    )
    .finish();
};

describe('LogsService/Export on the otlp receiver', () => {
  const logs: LogBatch[] = [];
  let failWith: unknown;
  const logsSink: Consumer<LogBatch> = {
    async consume(batch) {
      if (failWith) throw failWith;
      logs.push(batch);
    },
  };
  const traces: Consumer<TraceBatch> = { consume: async () => {} };
  let receiver: OtlpReceiver;
  let client: grpc.Client;

  beforeAll(async () => {
    receiver = otlpReceiverFactory.create(settings, config, { traces, logs: logsSink });
    await receiver.start();
    client = new LogsServiceClient(`127.0.0.1:${receiver.ports().grpc}`, grpc.credentials.createInsecure());
  });
  afterAll(async () => {
    client?.close();
    await receiver?.shutdown();
  });

  it('hands the records on and reports a record with a malformed trace id as a partial success', async () => {
    const { error, response } = await exportCall(
      client,
      logsRequest(['5b8efff798038103d269b633813fc60c', 'abcd']),
    );
    expect(error).toBeNull();
    const { response: type } = logsProtoTypes();
    expect(type.toObject(type.decode(response!), { longs: Number })).toMatchObject({
      partialSuccess: { rejectedLogRecords: 1 },
    });
    expect(logs.at(-1)!.logRecordCount).toBe(1);
  });

  it('answers INVALID_ARGUMENT to bytes that are no message and UNAVAILABLE when the store is down', async () => {
    const bad = await exportCall(client, new Uint8Array([0x0a, 0xff, 0xff]));
    expect(bad.error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    failWith = retryable('store down');
    const down = await exportCall(client, logsRequest(['5b8efff798038103d269b633813fc60c']));
    failWith = undefined;
    expect(down.error?.code).toBe(grpc.status.UNAVAILABLE);
  });

  it('is UNIMPLEMENTED on a receiver without a logs pipeline', async () => {
    const tracesOnly = otlpReceiverFactory.create(settings, config, traces);
    await tracesOnly.start();
    const other = new LogsServiceClient(
      `127.0.0.1:${tracesOnly.ports().grpc}`,
      grpc.credentials.createInsecure(),
    );
    try {
      const { error } = await exportCall(other, logsRequest(['5b8efff798038103d269b633813fc60c']));
      expect(error?.code).toBe(grpc.status.UNIMPLEMENTED);
    } finally {
      other.close();
      await tracesOnly.shutdown();
    }
  });
});
