import {
  clickhouseExporterFactory,
  engineMetrics,
  migrate,
  openStore,
  storeTraceSource,
} from '@llmp/clickhouse';
import { mlflowExporterFactory } from '@llmp/exporter-mlflow';
import { genAiProcessorFactory } from '@llmp/genai';
import { jobLinkerFactory, jobStore, linkedTraceSource } from '@llmp/jobs';
import type { TraceBatch } from '@llmp/otlp';
import { type Logger, observeExporter, pipeline, processRegistry } from '@llmp/pipeline';
import { batchProcessorFactory } from '@llmp/processors';
import { queryApiServer } from '@llmp/query-api';
import { otlpReceiverFactory } from '@llmp/receiver-otlp';
import type { AllInOneConfig } from './allInOneConfig.ts';
import { authenticateFrom } from './authenticateFrom.ts';
import { mlflowStoreDeps } from './mlflowStoreDeps.ts';
import { storedThen, traceDeletion } from './traceDeletion.ts';

export interface Running {
  stop(): Promise<void>;
}

/**
 * The all-in-one process: OTLP receiver → batch → genai → ClickHouse exporter, plus the query API, over
 * one store (embedded unless a server URL is configured). Resolves once everything listens.
 * @example const running = await runStart(config, { dataDir: './.llmp', logger });
 */
export async function runStart(
  config: AllInOneConfig,
  { dataDir, logger }: { dataDir: string; logger: Logger },
): Promise<Running> {
  const store = await openStore({ ...config.clickhouse, dataDir });
  logger.info({ store: store.embedded ? 'embedded' : 'server', location: store.location }, 'store opened');
  try {
    const report = await migrate(store);
    logger.info(
      { schemaVersion: report.current, applied: report.applied.map((m) => m.version) },
      'schema up to date',
    );

    const registry = processRegistry();
    engineMetrics(store, registry);
    const { authenticate, keys } = authenticateFrom(config.auth, process.env);
    logger.info({ apiKeys: keys, auth: keys > 0 ? 'on' : 'off' }, 'auth configured');
    const settings = (id: string) => ({
      id,
      logger: logger.child({ component: id }),
      registry,
      authenticate,
    });
    const exporter = observeExporter(
      clickhouseExporterFactory(store).create(settings('clickhouse'), config.exporters.clickhouse, undefined),
      { registry, exporter: 'clickhouse', count: (batch: TraceBatch) => batch.spanCount },
    );
    const jobs = jobStore(store);
    // Sync states and pending work are kept in the store, so a restart resumes them.
    const mlflow = config.exporters.mlflow
      ? mlflowExporterFactory(mlflowStoreDeps(store, jobs)).create(
          settings('mlflow'),
          config.exporters.mlflow,
          undefined,
        )
      : undefined;
    // MLflow gets what ClickHouse stored, through its own bounded queue: its consume never waits.
    const stored = mlflow ? storedThen(exporter, mlflow) : exporter;
    const linker = jobLinkerFactory(jobs).create(settings('jobs'), config.processors.jobs, stored);
    // Normalisation runs after batching: the batch processor merges requests into new batches,
    // which would drop fields attached before it. The job linker edits the request in place
    // and hands the same batch on, so the GenAI fields reach the exporter.
    const genai = genAiProcessorFactory.create(settings('genai'), config.processors.genai, linker);
    const batch = batchProcessorFactory.create(settings('batch'), config.processors.batch, genai);
    const receiver = otlpReceiverFactory.create(settings('otlp'), config.receivers.otlp, batch);
    const traces = pipeline({
      receivers: [receiver],
      processors: [batch, genai, linker],
      exporters: mlflow ? [exporter, mlflow] : [exporter],
    });
    const api = queryApiServer({
      endpoint: config.query.endpoint,
      logger: logger.child({ component: 'query' }),
      source: linkedTraceSource(storeTraceSource(store), jobs),
      jobs,
      authenticate,
      registry,
      deletion: traceDeletion(store, mlflow?.sync),
    });

    await traces.start();
    try {
      await api.start();
    } catch (error) {
      await traces.shutdown();
      throw error;
    }
    return {
      async stop() {
        // Receivers stop intake first, the batch processor flushes, the exporter drains; then the API and store.
        await traces.shutdown();
        await api.shutdown();
        await store.close();
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}
