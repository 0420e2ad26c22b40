export { type BatchMeta, mergeMeta, noMeta } from './batchMeta.ts';
export { decodeJsonRequest } from './decodeJson.ts';
export { decodeProtobufRequest, decodeProtobufSpan, hexOf } from './decodeProtobuf.ts';
export { encodeProtobufRequest } from './encodeProtobuf.ts';
export {
  decodeProtobufResponse,
  type ExportOutcome,
  encodeProtobufResponse,
  jsonResponse,
} from './exportResponse.ts';
export { emptyGenAiFields, type GenAiFields, type SpanType, spanTypes } from './genAiFields.ts';
export { OtlpDecodeError } from './otlpDecodeError.ts';
export { protoDir, protoTypes } from './protoTypes.ts';
export { rejectInvalidSpans, type SpanScreening, spanProblem } from './rejectInvalidSpans.ts';
export { decodeRpcStatus, encodeRpcStatus, RpcCode } from './rpcStatus.ts';
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
  type WireRequest,
  type WireResource,
  type WireScope,
  type WireSpan,
  wireRequestBytes,
  wireSpansSize,
} from './wireSpans.ts';
