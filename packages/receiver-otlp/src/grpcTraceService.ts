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
import { type InFlightLimit, unboundedInFlight } from './inFlightLimit.ts';
import { overloadedError } from './overloadedError.ts';
import { rawExportDefinition } from './rawExportDefinition.ts';
import { type ReceiverObserver, silentObserver } from './receiverObserver.ts';

/** TraceService/Export with raw bytes in and out: decoding is ours, so a bad payload is INVALID_ARGUMENT. */
export const traceServiceDefinition = rawExportDefinition(
  'opentelemetry.proto.collector.trace.v1.TraceService',
);

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

/** A request message decoded and screened: its memory cost beyond its bytes, and how it is handed on. */
export interface DecodedMessage {
  cost: number;
  /** Hands the records on and answers with the encoded export response; rejects with an ExportError. */
  send(projectId: string): Promise<Uint8Array>;
}

/**
 * The unary Export handler every OTLP/gRPC service shares: auth, the in-flight bound, decoding
 * (`decode` throws OtlpDecodeError for a bad message) and the mapping of export errors onto codes.
 * @example server.addService(logsServiceDefinition, { Export: exportHandler(options, decodeLogs) })
 */
export function exportHandler(
  {
    authenticate = openAccess,
    limit = unboundedInFlight,
    observe = silentObserver,
  }: Omit<TraceServiceOptions, 'next' | 'values'>,
  decode: (message: Buffer) => DecodedMessage,
): grpc.handleUnaryCall<Buffer, Buffer> {
  return (call, callback) => {
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
    let decoded: DecodedMessage;
    try {
      decoded = decode(call.request);
    } catch (error) {
      ticket.release();
      if (error instanceof OtlpDecodeError) {
        observe.refusedRequest(error.kind);
        return callback(refusal(permanent(error.message, { cause: error })));
      }
      return callback(statusError(grpc.status.INTERNAL, (error as Error).message));
    }
    if (!ticket.grow(decoded.cost)) {
      ticket.release();
      return overloaded();
    }
    decoded
      .send(auth.caller.projectId)
      .then(
        (answer) => callback(null, Buffer.from(answer)),
        (caught: unknown) => callback(refusal(toExportError(caught))),
      )
      .finally(() => ticket.release());
  };
}

/**
 * The gRPC TraceService implementation.
 * @example server.addService(traceServiceDefinition, traceService({ next }))
 */
export function traceService(options: TraceServiceOptions): grpc.UntypedServiceImplementation {
  const { next, observe = silentObserver, values = unboundedValues } = options;
  return {
    Export: exportHandler(options, (message) => {
      const screening: WireScreening = screenProtobufRequest(message, values);
      return {
        cost: decodedCost(screening),
        send: async (projectId) =>
          encodeProtobufResponse(await exportTraces(next, { projectId, screening }, observe)),
      };
    }),
  };
}
