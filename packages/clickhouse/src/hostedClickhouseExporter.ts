import type { LogBatch, MetricBatch, TraceBatch } from '@llmp/otlp';
import { type Component, type Consumer, hostedFactory } from '@llmp/pipeline';
import { clickhouseExporter, clickhouseExporterConfig } from './clickhouseExporter.ts';
import { clickhouseLogsWriter } from './clickhouseLogsWriter.ts';
import { clickhouseMetricsWriter } from './clickhouseMetricsWriter.ts';
import { storeResource } from './storeResource.ts';

export { storeResource };

type AnyBatch = TraceBatch | LogBatch | MetricBatch;
const isLogBatch = (batch: AnyBatch): batch is LogBatch => 'logRecordCount' in batch;
const isMetricBatch = (batch: AnyBatch): batch is MetricBatch => 'dataPointCount' in batch;

/**
 * The `clickhouse` exporter as a plain factory: one INSERT per batch into the host's store,
 * counted under its id (llmp_exporter_*_spans_total). In a traces pipeline it writes `spans`, in
 * a logs pipeline `otel_logs`, in a metrics pipeline the `otel_metrics_*` tables (one instance
 * serves all three, as the Collector's exporter does).
 * @example buildService({ config, factories: { …, exporters: [hostedClickhouseExporter] }, host, logger })
 */
export const hostedClickhouseExporter = hostedFactory(
  'clickhouse',
  clickhouseExporterConfig,
  async (settings, config): Promise<Component & Consumer<AnyBatch>> => {
    const store = await settings.host.get(storeResource);
    const spans = clickhouseExporter(store, settings, config);
    const logs = clickhouseLogsWriter(store);
    const metrics = clickhouseMetricsWriter(store);
    return {
      start: () => spans.start(),
      shutdown: () => spans.shutdown(),
      consume: (batch) =>
        isMetricBatch(batch)
          ? metrics.consume(batch)
          : isLogBatch(batch)
            ? logs.consume(batch)
            : spans.consume(batch),
    };
  },
  { signals: ['traces', 'logs', 'metrics'] },
);
