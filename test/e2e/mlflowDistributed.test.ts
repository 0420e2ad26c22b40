import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedTopics, providedBrokers, spanCounts, startGateway } from '../support/distributedRoles.ts';
import { type LlmpProcess, startLlmp } from '../support/llmpProcess.ts';
import { startMlflowExporter, withRoleOutput } from '../support/mlflowExporterRole.ts';
import { type MlflowServer, mlflowWanted, requireMlflowServer } from '../support/mlflowServer.ts';
import {
  eventually,
  mlflowSpans,
  mlflowSpanTypes,
  searchTraces,
  sendJobTrace,
} from '../support/mlflowTraces.ts';
import { tempDir } from '../support/tempDir.ts';

const dir = tempDir('mlflow-dist');
const brokers = providedBrokers();
const topics = isolatedTopics('mlflow');
let mlflow: MlflowServer;
let gateway: LlmpProcess;
let exporter: LlmpProcess;
let ingester: LlmpProcess;

const otlpUrl = () => `http://127.0.0.1:${gateway.httpPort}/v1/traces`;

describe.skipIf(!brokers || !mlflowWanted())(
  'llmp mlflow-exporter: otlp_spans → MLflow in group llmp-mlflow',
  () => {
    beforeAll(async () => {
      mlflow = await requireMlflowServer(`${dir.path}/mlflow`);
      gateway = await startGateway({ dataDir: `${dir.path}/gateway`, brokers, topics });
      exporter = await startMlflowExporter({
        dataDir: `${dir.path}/exporter`,
        brokers,
        topics,
        trackingUri: mlflow.url,
        experiment: 'llmp-distributed',
      });
      // The ClickHouse ingester with the API: its DELETE also deletes from MLflow.
      ingester = await startLlmp({
        dataDir: `${dir.path}/ingester`,
        command: 'ingester',
        args: ['--with-api'],
        extraYaml: [
          'kafka:',
          `  brokers: "${brokers}"`,
          '  clientId: llmp-ingester-test',
          'receivers:',
          '  kafka:',
          `    topic: ${topics.topic}`,
          `    groupId: ${topics.groupId}`,
          `    deadLetterTopic: ${topics.deadLetterTopic}`,
          '    retryOnFailure: { initialInterval: 100ms, maxInterval: 2s }',
          '    sessionTimeout: 6s',
          'exporters:',
          '  mlflow:',
          `    trackingUri: "${mlflow.url}"`,
          '    retryOnFailure: { initialInterval: 200ms, maxInterval: 1s }',
        ].join('\n'),
      });
    }, 240_000);

    afterAll(async () => {
      expect(await exporter?.stop()).toBe(0);
      expect(await ingester?.stop()).toBe(0);
      expect(await gateway?.stop()).toBe(0);
      await mlflow?.stop();
      dir.remove();
    }, 60_000);

    it('uploads what the gateway put on Kafka, with job tags', async () => {
      const traceId = await sendJobTrace(otlpUrl(), { id: 'job-kafka', name: 'Kafka job', version: '3' });
      const [info] = await eventually(async () => {
        const found = await searchTraces(mlflow, 'llmp-distributed', "tag.`llmp.job.id` = 'job-kafka'");
        return found.length > 0 ? found : undefined;
      });
      expect(info!.trace_id).toBe(`tr-${traceId}`);
      expect(info!.tags).toMatchObject({ 'llmp.job.name': 'Kafka job', 'llmp.job.version': '3' });
      expect((await mlflowSpans(mlflow, traceId))?.length).toBe(2);
    });

    it('sets mlflow.spanType from the genai processor of its pipeline', async () => {
      const traceId = await sendJobTrace(otlpUrl(), { id: 'job-types', version: '1' });
      // The LLM child (GenAI chat) is an LLM call to llmp; MLflow alone would say CHAT_MODEL.
      expect(await eventually(() => mlflowSpanTypes(mlflow, traceId, 2))).toMatchObject({
        'chat gpt-4o': 'LLM',
      });
    });

    it('lags while MLflow is down and catches up without loss or doubles', { timeout: 200_000 }, async () => {
      await mlflow.stop();
      const traceIds: string[] = [];
      // The gateway keeps accepting: the MLflow consumer is apart from ingestion.
      for (let i = 0; i < 4; i++)
        traceIds.push(await sendJobTrace(otlpUrl(), { id: 'job-kafka-outage', version: String(i) }));
      // ...and the ClickHouse ingester, its own consumer group, stores them meanwhile.
      const stored = await spanCounts(ingester, traceIds, 2);
      expect([...stored.values()]).toEqual([2, 2, 2, 2]);
      await mlflow.start();
      const found = await eventually(async () => {
        const traces = await searchTraces(
          mlflow,
          'llmp-distributed',
          "tag.`llmp.job.id` = 'job-kafka-outage'",
        );
        return traces.length >= 4 ? traces : undefined;
      }, 90_000).catch(withRoleOutput(exporter, 'mlflow-exporter'));
      expect(found.map((t) => t.trace_id).sort()).toEqual(traceIds.map((id) => `tr-${id}`).sort());
      for (const traceId of traceIds) expect((await mlflowSpans(mlflow, traceId))?.length).toBe(2);
    });

    it('deletes through the ingester API from ClickHouse and from MLflow', async () => {
      const traceId = await sendJobTrace(otlpUrl(), { id: 'job-kafka-delete', version: '1' });
      await eventually(async () => ((await mlflowSpans(mlflow, traceId)) ? true : undefined));
      await spanCounts(ingester, [traceId], 2);
      const deleted = await fetch(`http://127.0.0.1:${ingester.apiPort}/v1/traces/${traceId}`, {
        method: 'DELETE',
      });
      expect(deleted.status).toBe(202);
      expect((await ingester.api(`/v1/traces/${traceId}`)).status).toBe(404);
      await eventually(async () => {
        const sync = (await (await ingester.api(`/v1/traces/${traceId}/sync`)).json()) as { state: string };
        return sync.state === 'deleted' ? true : undefined;
      });
      expect(await mlflowSpans(mlflow, traceId)).toBeUndefined();
    });
  },
);
