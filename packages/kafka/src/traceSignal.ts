import {
  decodeJsonRequest,
  decodeProtobufRequest,
  rejectInvalidSpans,
  type TraceBatch,
  traceBatch,
} from '@llmp/otlp';
import { permanent } from '@llmp/pipeline';
import { isOtlpJson, type KafkaSignal, textOf } from './kafkaSignal.ts';
import { OversizedSpanError, traceRecords } from './traceRecords.ts';

const isTraceBatch = (batch: unknown): batch is TraceBatch =>
  typeof batch === 'object' && batch !== null && typeof (batch as TraceBatch).wire === 'function';

/**
 * Traces on Kafka (`otlp_spans`): one record per trace keyed by its id, spans forwarded as
 * received (never decoded by the gateway); the ingester drops spans with invalid ids.
 * @example kafkaExporter(producer, settings, config, [traceSignal])
 */
export const traceSignal: KafkaSignal<TraceBatch> = {
  signal: 'traces',
  unit: 'spans',
  invalidReason: 'invalid_spans',
  defaults: { topic: 'otlp_spans', deadLetterTopic: 'otlp_spans_dlq' },
  owns: isTraceBatch,
  count: (batch) => batch.spanCount,
  projectOf: (batch) => batch.projectId,
  records(batch, maxRecordBytes) {
    try {
      return traceRecords(batch.wire(), maxRecordBytes);
    } catch (error) {
      if (error instanceof OversizedSpanError) throw permanent(error.message, { cause: error });
      throw error;
    }
  },
  decode(value, projectId) {
    const request = isOtlpJson(value) ? decodeJsonRequest(textOf(value)) : decodeProtobufRequest(value);
    const screening = rejectInvalidSpans(request);
    if (screening.rejectedSpans > 0 && screening.acceptedSpans === 0)
      return { invalid: screening.errorMessage };
    return {
      batch: traceBatch({ projectId, request: screening.accepted, spanCount: screening.acceptedSpans }),
      count: screening.acceptedSpans,
    };
  },
  merge: (projectId, parts, dedupToken) =>
    traceBatch({
      projectId,
      request: { resourceSpans: parts.flatMap((d) => d.request().resourceSpans) },
      spanCount: parts.reduce((n, d) => n + d.spanCount, 0),
      meta: { dedupToken },
    }),
};
