export { type BatchMeta, mergeMeta, noMeta } from './batchMeta.ts';
export { checkMetricsLimits } from './checkMetricsLimits.ts';
export { decodeJsonRequest } from './decodeJson.ts';
export { decodeJsonMetricsRequest } from './decodeJsonMetrics.ts';
export {
  checkLogsLimits,
  decodeJsonLogsRequest,
  decodeProtobufLogsRequest,
  encodeLogsResponse,
  jsonLogsResponse,
  type LogsScreening,
  screenLogsRequest,
} from './decodeLogs.ts';
export { decodeProtobufRequest, decodeProtobufSpan, hexOf } from './decodeProtobuf.ts';
export { decodeProtobufMetricsRequest } from './decodeProtobufMetrics.ts';
export { encodeProtobufLogsRequest } from './encodeLogs.ts';
export { encodeProtobufRequest } from './encodeProtobuf.ts';
export {
  decodeProtobufResponse,
  type ExportOutcome,
  encodeProtobufResponse,
  jsonResponse,
} from './exportResponse.ts';
export { emptyGenAiFields, type GenAiFields, type SpanType, spanTypes } from './genAiFields.ts';
export { genAiMessageEvents, genAiTextEvents } from './genAiTextEvents.ts';
export { jsonMetricsToProtobuf } from './jsonMetricsToProtobuf.ts';
export type { LogBatch } from './logBatch.ts';
export * from './logsModel.ts';
export { logsProtoTypes } from './logsProtoTypes.ts';
export { mergeMetricBatches } from './mergeMetricBatches.ts';
export type { MetricBatch } from './metricBatch.ts';
export { type DecodedMetricBatch, metricBatchFromBytes } from './metricBatchFromBytes.ts';
export * from './metricsModel.ts';
export { metricsProtoTypes } from './metricsProtoTypes.ts';
export { encodeMetricsResponse, jsonMetricsResponse, type MetricsOutcome } from './metricsResponse.ts';
export { OtlpDecodeError } from './otlpDecodeError.ts';
export { protoDir, protoTypes } from './protoTypes.ts';
export { rejectInvalidSpans, type SpanScreening, spanProblem } from './rejectInvalidSpans.ts';
export { plainValue, renderMessages, toolCallText } from './renderMessages.ts';
export { decodeRpcStatus, encodeRpcStatus, RpcCode } from './rpcStatus.ts';
export { type MetricsScreening, screenMetricsRequest } from './screenMetricsRequest.ts';
export { screenProtobufRequest, type WireScreening } from './screenProtobufRequest.ts';
export { nestSpans, type PlacedSpan, spansByTrace } from './spansByTrace.ts';
export { genAiOf, type TraceBatch, traceBatch, withMeta } from './traceBatch.ts';
export * from './traceModel.ts';
export {
  decodedBytesEstimate,
  defaultValueLimits,
  jsonDecodedBytesEstimate,
  unboundedValues,
  type ValueLimits,
} from './valueLimits.ts';
export {
  encodeWireSpans,
  type WireLayout,
  type WireRequest,
  type WireResource,
  type WireScope,
  type WireSpan,
  wireRequestBytes,
  wireSpansLayout,
  wireSpansSize,
} from './wireSpans.ts';
