import { hostedClickhouseExporter } from '@llmp/clickhouse';
import { clickhouseExporterComponent } from '@llmp/clickhouse/components';
import { hostedMlflowExporter } from '@llmp/exporter-mlflow';
import { mlflowExporterComponent } from '@llmp/exporter-mlflow/components';
import { genAiProcessorFactory } from '@llmp/genai';
import { genAiProcessor } from '@llmp/genai/components';
import { hostedJobLinker } from '@llmp/jobs';
import { jobLinkerProcessor } from '@llmp/jobs/components';
import { hostedKafkaExporter, hostedKafkaReceiver } from '@llmp/kafka';
import { kafkaExporterComponent, kafkaReceiverComponent } from '@llmp/kafka/components';
import type { BuildableFactory } from '@llmp/pipeline';
import { otlpReceiverFactory } from '@llmp/receiver-otlp';
import { otlpReceiverComponent } from '@llmp/receiver-otlp/components';
import { describe, expect, it } from 'vitest';

// The lazy factories repeat what the service builder reads before create (type, schema,
// signals, perSignal, follows); a difference would build pipelines other than the real
// factory's, so each is checked against the factory it loads.
const pairs: Array<[BuildableFactory, BuildableFactory]> = [
  [clickhouseExporterComponent, hostedClickhouseExporter],
  [mlflowExporterComponent, hostedMlflowExporter],
  [genAiProcessor, genAiProcessorFactory as BuildableFactory],
  [jobLinkerProcessor, hostedJobLinker],
  [otlpReceiverComponent, otlpReceiverFactory as BuildableFactory],
  [kafkaReceiverComponent, hostedKafkaReceiver],
  [kafkaExporterComponent, hostedKafkaExporter],
];

describe('the components entries describe the factories they load', () => {
  it.each(pairs.map(([lazy, real]) => [real.type, lazy, real] as const))('%s (%#)', (_type, lazy, real) => {
    const { create: _l, ...described } = lazy;
    const { create: _r, ...actual } = real;
    expect(described).toEqual(actual);
    expect(lazy.configSchema).toBe(real.configSchema);
  });
});
