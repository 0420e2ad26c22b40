import { type BatchMeta, noMeta, withFields } from './batchMeta.ts';
import { decodeProtobufRequest } from './decodeProtobuf.ts';
import { encodeProtobufRequest } from './encodeProtobuf.ts';
import type { GenAiFields } from './genAiFields.ts';
import { screenProtobufRequest } from './screenProtobufRequest.ts';
import { countSpans, type Span, type TraceRequest } from './traceModel.ts';
import { type WireRequest, wireRequestBytes } from './wireSpans.ts';

/**
 * What flows through a trace pipeline: one project's spans, held as OTLP protobuf bytes, as
 * spans located in those bytes, and/or as the decoded request, each produced from another only
 * when first asked for.
 */
export interface TraceBatch {
  readonly projectId: string;
  readonly spanCount: number;
  /** What stages attached to the batch (dedup token, GenAI fields); see BatchMeta. */
  readonly meta: BatchMeta;
  /** OTLP/protobuf ExportTraceServiceRequest bytes. */
  bytes(): Uint8Array;
  request(): TraceRequest;
  /** The spans located in `bytes()` without decoding them (spans with invalid ids left out). */
  wire(): WireRequest;
}

/**
 * A batch from a decoded request, its encoded bytes and/or its located spans.
 * @example traceBatch({ projectId: 'default', wire: screenProtobufRequest(body).accepted })
 */
export function traceBatch(init: {
  projectId: string;
  request?: TraceRequest;
  bytes?: Uint8Array;
  wire?: WireRequest;
  spanCount?: number;
  meta?: BatchMeta;
}): TraceBatch {
  let { request, bytes, wire } = init;
  if (!request && !bytes && !wire) throw new TypeError('traceBatch needs a request, its bytes or its spans');
  if (init.spanCount === undefined && !wire) request ??= decodeProtobufRequest(bytes!);
  const spanCount = init.spanCount ?? (wire ? wire.spans.length : countSpans(request!));
  const encoded = () => (bytes ??= wire ? wireRequestBytes(wire) : encodeProtobufRequest(request!));
  return {
    projectId: init.projectId,
    spanCount,
    meta: init.meta ?? noMeta,
    bytes: encoded,
    request: () => (request ??= decodeProtobufRequest(encoded())),
    wire: () => (wire ??= screenProtobufRequest(encoded()).accepted),
  };
}

/**
 * The same batch (same bytes, same decoded spans) with some meta fields set.
 * @example next.consume(withMeta(batch, { genAi }))
 */
export function withMeta(batch: TraceBatch, fields: BatchMeta): TraceBatch {
  return {
    projectId: batch.projectId,
    spanCount: batch.spanCount,
    meta: withFields(batch.meta, fields),
    bytes: () => batch.bytes(),
    request: () => batch.request(),
    wire: () => batch.wire(),
  };
}

/**
 * The canonical GenAI fields of a span of the batch, if the batch went through the `genai`
 * processor.
 * @example const fields = genAiOf(batch, span) ?? emptyGenAiFields();
 */
export function genAiOf(batch: TraceBatch, span: Span): GenAiFields | undefined {
  return batch.meta.genAi?.get(span);
}
