import { decodeProtobufRequest } from './decodeProtobuf.ts';
import { encodeProtobufRequest } from './encodeProtobuf.ts';
import { screenProtobufRequest } from './screenProtobufRequest.ts';
import { countSpans, type TraceRequest } from './traceModel.ts';
import { type WireRequest, wireRequestBytes } from './wireSpans.ts';

/**
 * What flows through a trace pipeline: one project's spans, held as OTLP protobuf bytes, as
 * spans located in those bytes, and/or as the decoded request, each produced from another only
 * when first asked for.
 */
export interface TraceBatch {
  readonly projectId: string;
  readonly spanCount: number;
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
}): TraceBatch {
  let { request, bytes, wire } = init;
  if (!request && !bytes && !wire) throw new TypeError('traceBatch needs a request, its bytes or its spans');
  if (init.spanCount === undefined && !wire) request ??= decodeProtobufRequest(bytes!);
  const spanCount = init.spanCount ?? (wire ? wire.spans.length : countSpans(request!));
  const encoded = () => (bytes ??= wire ? wireRequestBytes(wire) : encodeProtobufRequest(request!));
  return {
    projectId: init.projectId,
    spanCount,
    bytes: encoded,
    request: () => (request ??= decodeProtobufRequest(encoded())),
    wire: () => (wire ??= screenProtobufRequest(encoded()).accepted),
  };
}
