// Every package through its `components` entry (schemas, metric sets, lazy factories): a factory's
// code loads when a pipeline creates it, so a role holds only what its pipelines use.
import { clickhouseExporterComponent } from '@llmp/clickhouse/components';
import { mlflowExporterComponent, mlflowSyncMetrics } from '@llmp/exporter-mlflow/components';
import { genAiProcessor } from '@llmp/genai/components';
import { jobLinkerMetrics, jobLinkerProcessor } from '@llmp/jobs/components';
import { kafkaExporterComponent, kafkaReceiverComponent, kafkaReceiverMetrics } from '@llmp/kafka/components';
import {
  type BuildableFactory,
  type ComponentFactories,
  exporterMetrics,
  type Registry,
} from '@llmp/pipeline';
import { batchProcessorFactory, batchProcessorMetrics } from '@llmp/processors';
import { otlpReceiverComponent, otlpReceiverMetrics } from '@llmp/receiver-otlp/components';

/**
 * Every component `llmp` knows, listed once: plain factories looked up by the type of the ids
 * `service.pipelines` names (`type[/name]`); what they depend on comes from the host.
 * @example buildService({ config, factories: components, host, logger })
 */
export const components: ComponentFactories = {
  receivers: [otlpReceiverComponent, kafkaReceiverComponent],
  processors: [batchProcessorFactory as BuildableFactory, genAiProcessor, jobLinkerProcessor],
  exporters: [clickhouseExporterComponent, kafkaExporterComponent, mlflowExporterComponent],
};

/**
 * The metric sets the components declare beside them. A role that runs pipelines declares them
 * all, so its `/metrics` lists the same families whichever components its config picks (as when
 * one central file declared them), and a dashboard finds every family in every role.
 * @example for (const declare of componentMetrics) declare(registry);
 */
export const componentMetrics: ReadonlyArray<(registry: Registry) => unknown> = [
  otlpReceiverMetrics,
  exporterMetrics,
  batchProcessorMetrics,
  kafkaReceiverMetrics,
  mlflowSyncMetrics,
  jobLinkerMetrics,
];
