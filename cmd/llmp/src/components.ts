import { hostedClickhouseExporter } from '@llmp/clickhouse';
import { hostedMlflowExporter, mlflowSyncMetrics } from '@llmp/exporter-mlflow';
import { genAiProcessorFactory } from '@llmp/genai';
import { hostedJobLinker, jobLinkerMetrics } from '@llmp/jobs';
import { hostedKafkaExporter, hostedKafkaReceiver, kafkaReceiverMetrics } from '@llmp/kafka';
import {
  type BuildableFactory,
  type ComponentFactories,
  exporterMetrics,
  type Registry,
} from '@llmp/pipeline';
import { batchProcessorFactory, batchProcessorMetrics } from '@llmp/processors';
import { otlpReceiverFactory, otlpReceiverMetrics } from '@llmp/receiver-otlp';

/**
 * Every component `llmp` knows, listed once: plain factories looked up by the type of the ids
 * `service.pipelines` names (`type[/name]`); what they depend on comes from the host.
 * @example buildService({ config, factories: components, host, logger })
 */
export const components: ComponentFactories = {
  receivers: [otlpReceiverFactory as BuildableFactory, hostedKafkaReceiver],
  processors: [
    batchProcessorFactory as BuildableFactory,
    genAiProcessorFactory as BuildableFactory,
    hostedJobLinker,
  ],
  exporters: [hostedClickhouseExporter, hostedKafkaExporter, hostedMlflowExporter],
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
