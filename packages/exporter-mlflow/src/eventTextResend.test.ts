import { decodeProtobufRequest, type LogBatch } from '@llmp/otlp';
import { createLogger } from '@llmp/pipeline';
import { describe, expect, it } from 'vitest';
import type { MlflowApi } from './mlflowClient.ts';
import { mlflowExporter } from './mlflowExporter.ts';
import { mlflowExporterConfig } from './mlflowExporterConfig.ts';
import { batch, span } from './testBatches.ts';

const trace = 'a'.repeat(32);
const llm = '1'.repeat(16);

/** The attributes MLflow got for the span, per request. */
function recordingApi() {
  const sent: Array<Record<string, string>> = [];
  const api: MlflowApi = {
    experimentId: async () => '7',
    async exportTraces(_experimentId: string, body: Uint8Array) {
      for (const rs of decodeProtobufRequest(body).resourceSpans)
        for (const ss of rs.scopeSpans)
          for (const s of ss.spans)
            sent.push(
              Object.fromEntries(
                s.attributes.map((a) => [a.key, a.value.type === 'string' ? a.value.value : '']),
              ),
            );
    },
  } as unknown as MlflowApi;
  return { api, sent };
}

const records = (): LogBatch => ({
  projectId: 'default',
  logRecordCount: 1,
  request: { resourceLogs: [] },
});

describe('mlflow exporter alone behind Kafka: GenAI event records after the span', () => {
  it('sends the span again with the messages of records read after it', async () => {
    const { api, sent } = recordingApi();
    const messages = new Map([[trace, new Map([[llm, { 'gen_ai.input.messages': '[{"role":"user"}]' }]])]]);
    const exporter = mlflowExporter(
      { api, recordMessages: () => messages },
      { id: 'mlflow', logger: createLogger({ level: 'silent' }) },
      mlflowExporterConfig.parse({ trackingUri: 'http://mlflow:5000' }),
    );
    await exporter.start();
    await exporter.consume(batch([span(trace, llm, '')]));
    expect(sent).toHaveLength(1);
    expect(sent[0]!['gen_ai.input.messages']).toBeUndefined();
    await exporter.consume(records());
    expect(sent).toHaveLength(2);
    expect(sent[1]!['gen_ai.input.messages']).toBe('[{"role":"user"}]');
    await exporter.shutdown();
  });
});
