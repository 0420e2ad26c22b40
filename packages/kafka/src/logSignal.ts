import {
  decodeJsonLogsRequest,
  decodeProtobufLogsRequest,
  type LogBatch,
  screenLogsRequest,
} from '@llmp/otlp';
import { permanent } from '@llmp/pipeline';
import { isOtlpJson, type KafkaSignal, textOf } from './kafkaSignal.ts';
import { logKafkaRecords, OversizedLogRecordError } from './logKafkaRecords.ts';

const isLogBatch = (batch: unknown): batch is LogBatch =>
  typeof batch === 'object' && batch !== null && 'logRecordCount' in batch;

/**
 * Logs on Kafka (`otlp_logs`): one record per trace id keyed by it, untraced records per
 * service (see logKafkaRecords); the ingester drops records with ids of the wrong length.
 * @example kafkaExporter(producer, settings, config, [traceSignal, logSignal])
 */
export const logSignal: KafkaSignal<LogBatch> = {
  signal: 'logs',
  unit: 'log records',
  invalidReason: 'invalid_log_records',
  defaults: { topic: 'otlp_logs', deadLetterTopic: 'otlp_logs_dlq' },
  owns: isLogBatch,
  count: (batch) => batch.logRecordCount,
  projectOf: (batch) => batch.projectId,
  records(batch, maxRecordBytes) {
    try {
      return logKafkaRecords(batch.request, maxRecordBytes);
    } catch (error) {
      if (error instanceof OversizedLogRecordError) throw permanent(error.message, { cause: error });
      throw error;
    }
  },
  decode(value, projectId) {
    const request = isOtlpJson(value)
      ? decodeJsonLogsRequest(textOf(value))
      : decodeProtobufLogsRequest(value);
    const screening = screenLogsRequest(request);
    if (screening.rejectedLogRecords > 0 && screening.acceptedLogRecords === 0)
      return { invalid: screening.errorMessage };
    return {
      batch: { projectId, request: screening.accepted, logRecordCount: screening.acceptedLogRecords },
      count: screening.acceptedLogRecords,
    };
  },
  merge: (projectId, parts, dedupToken) => ({
    projectId,
    request: { resourceLogs: parts.flatMap((d) => d.request.resourceLogs) },
    logRecordCount: parts.reduce((n, d) => n + d.logRecordCount, 0),
    meta: { dedupToken },
  }),
};
