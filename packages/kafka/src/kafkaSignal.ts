import type { Signal } from '@llmp/pipeline';

/** A Kafka record an exporter writes: key and `otlp_proto` value. */
export interface SignalRecord {
  key: string;
  value: Uint8Array;
}

/** What a record value decoded to: a batch, or why it holds nothing storable. */
export type DecodedValue<B> = { batch: B; count: number } | { invalid: string };

/**
 * How one OTLP signal travels over Kafka: what the `kafka` exporter writes for a batch and what
 * the `kafka` receiver makes of a record. The exporter and the receiver are the same for every
 * signal; a signal is one of these (traceSignal, logSignal), named in `kafkaSignals`.
 */
export interface KafkaSignal<B> {
  signal: Signal;
  /** What one item is called in messages and counters: `spans`, `log records`. */
  unit: string;
  /** The dead-letter reason of a record whose every item has invalid ids (a counter label). */
  invalidReason: string;
  /** Its topic and dead-letter topic when the config names none. */
  defaults: { topic: string; deadLetterTopic: string };
  /** Whether a batch is of this signal (one exporter instance serves every pipeline naming it). */
  owns(batch: unknown): batch is B;
  count(batch: B): number;
  projectOf(batch: B): string;
  /**
   * The batch's records, each at most `maxRecordBytes`.
   * @throws ExportError (permanent) when one item alone cannot fit a record.
   */
  records(batch: B, maxRecordBytes: number): SignalRecord[];
  /**
   * A record value (`otlp_proto`, or the Collector's `otlp_json`) as a batch of `projectId`.
   * @throws OtlpDecodeError when the value is neither.
   */
  decode(value: Uint8Array, projectId: string): DecodedValue<B>;
  /** Decoded batches of one project as the one insert of an offset range, carrying its token. */
  merge(projectId: string, parts: B[], dedupToken: string): B;
}

/**
 * Whether a record value is OTLP/JSON: an Export*ServiceRequest in protobuf starts with a field
 * tag (0x0a for its first field, resource_spans / resource_logs / resource_metrics); '{' (0x7b)
 * would be field 15 as a start-group, which none holds. So a value whose first non-blank byte is
 * '{' is OTLP/JSON, as the Collector's kafkaexporter writes with `otlp_json`.
 * @example isOtlpJson(new TextEncoder().encode(' {"resourceLogs":[]}')) // true
 */
export function isOtlpJson(value: Uint8Array): boolean {
  let i = 0;
  while (
    i < value.length &&
    (value[i] === 0x20 || value[i] === 0x0a || value[i] === 0x0d || value[i] === 0x09)
  )
    i++;
  return value[i] === 0x7b;
}

/** The UTF-8 text of a value, without copying it. */
export const textOf = (value: Uint8Array): string =>
  Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8');
