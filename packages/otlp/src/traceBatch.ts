import { decodeProtobufRequest } from './decodeProtobuf.ts';
import { encodeProtobufRequest } from './encodeProtobuf.ts';
import { countSpans, type TraceRequest } from './traceModel.ts';

/**
 * What flows through a trace pipeline: one project's spans, held as OTLP protobuf bytes and/or
 * the decoded request, each produced from the other only when first asked for.
 */
export interface TraceBatch {
  readonly projectId: string;
  readonly spanCount: number;
  /** OTLP/protobuf ExportTraceServiceRequest bytes. */
  bytes(): Uint8Array;
  request(): TraceRequest;
}

/**
 * A batch from a decoded request and/or its encoded bytes.
 * @example traceBatch({ projectId: 'default', request })
 */
export function traceBatch(init: {
  projectId: string;
  request?: TraceRequest;
  bytes?: Uint8Array;
  spanCount?: number;
}): TraceBatch {
  let { request, bytes } = init;
  if (!request && !bytes) throw new TypeError('traceBatch needs a request or its bytes');
  if (init.spanCount === undefined) request ??= decodeProtobufRequest(bytes!);
  const spanCount = init.spanCount ?? countSpans(request!);
  return {
    projectId: init.projectId,
    spanCount,
    bytes: () => (bytes ??= encodeProtobufRequest(request!)),
    request: () => (request ??= decodeProtobufRequest(bytes!)),
  };
}
