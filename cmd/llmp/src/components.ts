import { hostedClickhouseExporter } from '@llmp/clickhouse';
import { hostedMlflowExporter } from '@llmp/exporter-mlflow';
import { genAiProcessorFactory } from '@llmp/genai';
import { hostedJobLinker } from '@llmp/jobs';
import { hostedKafkaExporter, hostedKafkaReceiver } from '@llmp/kafka';
import type { BuildableFactory, ComponentFactories } from '@llmp/pipeline';
import { batchProcessorFactory } from '@llmp/processors';
import { otlpReceiverFactory } from '@llmp/receiver-otlp';

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
