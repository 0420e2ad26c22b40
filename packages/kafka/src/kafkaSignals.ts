import type { Signal } from '@llmp/pipeline';
import type { KafkaSignal } from './kafkaSignal.ts';
import { logSignal } from './logSignal.ts';
import { metricSignal } from './metricSignal.ts';
import { traceSignal } from './traceSignal.ts';

/** The signals the `kafka` exporter and receiver carry, each a KafkaSignal. */
export const kafkaSignals: Partial<Record<Signal, KafkaSignal<unknown>>> = {
  traces: traceSignal as KafkaSignal<unknown>,
  logs: logSignal as KafkaSignal<unknown>,
  metrics: metricSignal as KafkaSignal<unknown>,
};

/** The signals there is a KafkaSignal for, for the factories' `signals`. */
export const kafkaSignalNames = Object.keys(kafkaSignals) as Signal[];
