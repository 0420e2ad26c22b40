import * as grpc from '@grpc/grpc-js';
import {
  encodeProtobufResponse,
  OtlpDecodeError,
  screenProtobufRequest,
  type TraceBatch,
  unboundedValues,
  type ValueLimits,
  type WireScreening,
} from '@llmp/otlp';
import {
  type Authenticate,
  type Consumer,
  credentialOf,
  openAccess,
  permanent,
  toExportError,
} from '@llmp/pipeline';
import { decodedCost } from './decodedCost.ts';
import { exportTraces } from './exportTraces.ts';
import { refusal, statusError } from './grpcStatus.ts';
import { type InFlightLimit, inFlightLimit } from './inFlightLimit.ts';
import { overloadedError } from './overloadedError.ts';
import type { ReceiverObserver } from './receiverObserver.ts';

const identity = (buffer: Buffer) => buffer;

/** TraceService/Export with raw bytes in and out: decoding is ours, so a bad payload is INVALID_ARGUMENT. */
export const traceServiceDefinition: grpc.ServiceDefinition = {
  Export: {
    path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

export interface TraceServiceOptions {
  next: Consumer<TraceBatch>;
  /** Resolves the call's API key (metadata `authorization` or `x-llmp-api-key`) to its project. */
  authenticate?: Authenticate;
  /** Shared bound on requests and bytes in flight; unbounded when absent. */
  limit?: InFlightLimit;
  observe?: ReceiverObserver;
  /** Bounds on what a request holds once decoded; unbounded when absent. */
  values?: ValueLimits;
}

const unbounded = inFlightLimit({
  maxRequests: Number.POSITIVE_INFINITY,
  maxBytes: Number.POSITIVE_INFINITY,
});
const silent: ReceiverObserver = { accepted() {}, refusedSpans() {}, refusedRequest() {} };

/**
 * The gRPC TraceService implementation.
 * @example server.addService(traceServiceDefinition, traceService({ next }))
 */
export function traceService({
  next,
  authenticate = openAccess,
  limit = unbounded,
  observe = silent,
  values = unboundedValues,
}: TraceServiceOptions): grpc.UntypedServiceImplementation {
  const exportHandler: grpc.handleUnaryCall<Buffer, Buffer> = (call, callback) => {
    const header = (name: string) => {
      const value = call.metadata.get(name)[0];
      return typeof value === 'string' ? value : undefined;
    };
    const auth = authenticate(credentialOf(header), 'ingest');
    if (!auth.ok) {
      observe.refusedRequest(auth.reason);
      const code =
        auth.reason === 'unauthenticated' ? grpc.status.UNAUTHENTICATED : grpc.status.PERMISSION_DENIED;
      return callback(statusError(code, auth.message));
    }
    // grpc-js has already read (and inflated) the message, within maxRecvMsgSize.
    const ticket = limit.acquire(call.request.byteLength);
    const overloaded = () => {
      observe.refusedRequest('overloaded');
      return callback(refusal(overloadedError()));
    };
    if (!ticket) return overloaded();
    let screening: WireScreening;
    try {
      screening = screenProtobufRequest(call.request, values);
    } catch (error) {
      ticket.release();
      if (error instanceof OtlpDecodeError) {
        observe.refusedRequest(error.kind);
        return callback(refusal(permanent(error.message, { cause: error })));
      }
      return callback(statusError(grpc.status.INTERNAL, (error as Error).message));
    }
    if (!ticket.grow(decodedCost(screening))) {
      ticket.release();
      return overloaded();
    }
    exportTraces(next, { projectId: auth.caller.projectId, screening }, observe)
      .then(
        (outcome) => callback(null, Buffer.from(encodeProtobufResponse(outcome))),
        (caught: unknown) => callback(refusal(toExportError(caught))),
      )
      .finally(() => ticket.release());
  };
  return { Export: exportHandler };
}
