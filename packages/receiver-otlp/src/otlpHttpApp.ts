import {
  checkLogsLimits,
  checkMetricsLimits,
  decodeJsonLogsRequest,
  decodeJsonMetricsRequest,
  decodeJsonRequest,
  decodeProtobufLogsRequest,
  decodeProtobufMetricsRequest,
  encodeLogsResponse,
  encodeMetricsResponse,
  encodeProtobufResponse,
  encodeRpcStatus,
  jsonLogsResponse,
  jsonMetricsResponse,
  jsonMetricsToProtobuf,
  jsonResponse,
  type LogBatch,
  type MetricBatch,
  OtlpDecodeError,
  RpcCode,
  rejectInvalidSpans,
  type SpanScreening,
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
  type ExportError,
  openAccess,
  permanent,
  statusFor,
  toExportError,
} from '@llmp/pipeline';
import { Hono } from 'hono';
import { decodedCost } from './decodedCost.ts';
import { exportLogs } from './exportLogs.ts';
import { exportMetrics } from './exportMetrics.ts';
import { exportTraces } from './exportTraces.ts';
import { type InFlightLimit, type InFlightTicket, unboundedInFlight } from './inFlightLimit.ts';
import { BodyError, inflateBody } from './inflateBody.ts';
import { overloadedError } from './overloadedError.ts';
import { type ReceiverObserver, silentObserver } from './receiverObserver.ts';

type Encoding = 'protobuf' | 'json';

/** A request decoded and screened: what it costs in memory beyond its body, and how it is handed on. */
interface Decoded {
  cost: number;
  /** Hands the records on and answers with the encoded export response; rejects with an ExportError. */
  send(projectId: string, encoding: Encoding): Promise<string | Uint8Array>;
}

/** A signal's decoding of an inflated body; `reserve` reserves an OTLP/JSON body's decoded size before parsing. */
type Decode = (body: Uint8Array, encoding: Encoding, reserve: (decodedBytes: number) => void) => Decoded;

const contentTypes: Record<Encoding, string> = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
};

function encodingOf(contentType: string | undefined): Encoding | undefined {
  const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (mediaType === 'application/x-protobuf' || mediaType === 'application/protobuf') return 'protobuf';
  if (mediaType === 'application/json') return 'json';
  return undefined;
}

/** The in-flight byte bound was reached while the body was read. */
class OverloadError extends Error {}

/** The body stream broke off: the sender went away or the server's read deadline cut it. */
class BodyAbortedError extends Error {}

/**
 * Reads at most `limit` bytes of a request body, reserving each chunk in the in-flight bound;
 * more than `limit` is refused before it is buffered.
 */
async function readBody(request: Request, limit: number, ticket: InFlightTicket): Promise<Uint8Array> {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (declared > limit) throw new BodyError(413, `body of ${declared} bytes is larger than ${limit} bytes`);
  if (!request.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    let next: Awaited<ReturnType<typeof reader.read>>;
    try {
      next = await reader.read();
    } catch (error) {
      throw new BodyAbortedError('request body aborted', { cause: error });
    }
    if (next.done) break;
    const chunk = next.value;
    size += chunk.byteLength;
    if (size > limit) throw new BodyError(413, `body is larger than ${limit} bytes`);
    if (!ticket.grow(chunk.byteLength)) throw new OverloadError('receiver has too many bytes in flight');
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}

/** An OTLP/HTTP failure body: google.rpc.Status in the request's encoding (OTLP spec, "Failures"). */
function failure(
  status: number,
  code: number,
  message: string,
  encoding: Encoding,
  retry: { retryAfterMs?: number; retryAfter?: string } = {},
): Response {
  const headers = new Headers({ 'content-type': contentTypes[encoding] });
  if (retry.retryAfter !== undefined) headers.set('retry-after', retry.retryAfter);
  const body =
    encoding === 'json'
      ? JSON.stringify({ code, message })
      : encodeRpcStatus({ code, message, retryAfterMs: retry.retryAfterMs });
  return new Response(body, { status, headers });
}

/** An ExportError as the HTTP status, Retry-After and body statusFor gives it. */
function refusal(error: ExportError, encoding: Encoding): Response {
  const status = statusFor(error);
  return failure(status.http, status.grpc, error.message, encoding, status);
}

export interface OtlpHttpAppOptions {
  /** The traces pipeline: `POST /v1/traces` is served only with one. */
  next?: Consumer<TraceBatch> | undefined;
  /** The logs pipeline: `POST /v1/logs` is served only with one (as the Collector registers a signal's path only when it has a pipeline). */
  logs?: Consumer<LogBatch>;
  /** Counts log records (their requests go to `observe`); silent when absent. */
  observeLogs?: ReceiverObserver;
  /** The metrics pipeline: `POST /v1/metrics` is served only with one. */
  metrics?: Consumer<MetricBatch>;
  /** Counts metric data points (their requests go to `observe`); silent when absent. */
  observeMetrics?: ReceiverObserver;
  maxBodySize: number;
  /** Resolves the request's API key to its project (the spans are filed under it); open without keys. */
  authenticate?: Authenticate;
  /** Shared bound on requests and bytes in flight; unbounded when absent. */
  limit?: InFlightLimit;
  observe?: ReceiverObserver;
  /** Bounds on what a request holds once decoded; unbounded when absent. */
  values?: ValueLimits;
}

const bodyReasons = { 400: 'malformed', 413: 'too_large', 415: 'unsupported' } as const;

/**
 * The OTLP/HTTP endpoints, `POST /v1/traces` (and `/v1/logs`, `/v1/metrics` with a pipeline of that signal), as a Hono app (testable with `app.request()`).
 * @example serve({ fetch: otlpHttpApp({ next, maxBodySize: 20 << 20 }).fetch, port: 4318 })
 */
export function otlpHttpApp({
  next,
  logs,
  observeLogs = silentObserver,
  metrics,
  observeMetrics = silentObserver,
  maxBodySize,
  authenticate = openAccess,
  limit = unboundedInFlight,
  observe = silentObserver,
  values = unboundedValues,
}: OtlpHttpAppOptions): Hono {
  const app = new Hono();
  const route = (path: string, decode: Decode) => {
    app.post(path, async (c) => {
      const encoding = encodingOf(c.req.header('content-type'));
      if (!encoding) {
        observe.refusedRequest('unsupported');
        return failure(
          415,
          RpcCode.INVALID_ARGUMENT,
          `unsupported Content-Type "${c.req.header('content-type') ?? ''}" (use application/x-protobuf or application/json)`,
          'json',
        );
      }
      const auth = authenticate(
        credentialOf((name) => c.req.header(name)),
        'ingest',
      );
      if (!auth.ok) {
        observe.refusedRequest(auth.reason);
        const response =
          auth.reason === 'unauthenticated'
            ? failure(401, RpcCode.UNAUTHENTICATED, auth.message, encoding)
            : failure(403, RpcCode.PERMISSION_DENIED, auth.message, encoding);
        if (auth.reason === 'unauthenticated') response.headers.set('www-authenticate', 'Bearer');
        return response;
      }
      // The body is read holding bytes only: the request slot is taken once it is in, so senders
      // trickling bodies cannot hold every slot (they are bounded by the server's read deadline).
      const ticket = limit.acquire(0, { slot: false });
      if (!ticket) return overloaded(encoding);
      try {
        return await handle(c.req.raw, encoding, auth.caller.projectId, ticket, decode);
      } finally {
        ticket.release();
      }
    });
    app.all(path, (c) =>
      c.json(
        { code: RpcCode.INVALID_ARGUMENT, message: `method ${c.req.method} not allowed, use POST` },
        405,
        {
          allow: 'POST',
        },
      ),
    );
  };

  function overloaded(encoding: Encoding): Response {
    observe.refusedRequest('overloaded');
    return refusal(overloadedError(), encoding);
  }

  async function handle(
    raw: Request,
    encoding: Encoding,
    projectId: string,
    ticket: InFlightTicket,
    decode: Decode,
  ) {
    let decoded: Decoded;
    try {
      const received = await readBody(raw, maxBodySize, ticket);
      if (!ticket.takeSlot()) return overloaded(encoding);
      const body = inflateBody(received, raw.headers.get('content-encoding') ?? undefined, maxBodySize);
      if (body !== received && !ticket.grow(body.byteLength)) return overloaded(encoding);
      decoded = decode(body, encoding, (decodedBytes) => {
        // Reserved before parsing: JSON.parse builds the whole object graph at once.
        if (!ticket.grow(decodedBytes - body.byteLength)) {
          throw new OverloadError('receiver has too many bytes in flight');
        }
      });
    } catch (error) {
      if (error instanceof OverloadError) return overloaded(encoding);
      if (error instanceof BodyAbortedError) {
        // Nobody is left to read an answer; the request is only counted.
        observe.refusedRequest('aborted');
        return failure(408, RpcCode.UNAVAILABLE, error.message, encoding);
      }
      if (error instanceof BodyError) {
        observe.refusedRequest(bodyReasons[error.status]);
        // 415 is the transport's own answer; a bad or oversized body is the data's fault.
        if (error.status === 415) return failure(415, RpcCode.INVALID_ARGUMENT, error.message, encoding);
        return refusal(permanent(error.message, { cause: error, tooLarge: error.status === 413 }), encoding);
      }
      if (error instanceof OtlpDecodeError) {
        observe.refusedRequest(error.kind);
        return refusal(permanent(error.message, { cause: error }), encoding);
      }
      throw error;
    }
    if (!ticket.grow(decoded.cost)) return overloaded(encoding);
    try {
      const answer = await decoded.send(projectId, encoding);
      return new Response(answer, { status: 200, headers: { 'content-type': contentTypes[encoding] } });
    } catch (caught) {
      return refusal(toExportError(caught), encoding);
    }
  }

  const traces: Decode = (body, encoding, reserve) => {
    // OTLP/JSON is decoded and screened once; the Kafka exporter encodes the result once.
    const screening: WireScreening | SpanScreening =
      encoding === 'json'
        ? rejectInvalidSpans(decodeJsonRequest(body, values, { reserve }))
        : screenProtobufRequest(body, values);
    return {
      cost: decodedCost(screening),
      async send(projectId, encoding) {
        const outcome = await exportTraces(next!, { projectId, screening }, observe);
        return encoding === 'json' ? JSON.stringify(jsonResponse(outcome)) : encodeProtobufResponse(outcome);
      },
    };
  };
  if (next) route('/v1/traces', traces);
  if (logs) {
    const logsConsumer = logs;
    route('/v1/logs', (body, encoding, reserve) => {
      const request =
        encoding === 'json' ? decodeJsonLogsRequest(body, values, reserve) : decodeProtobufLogsRequest(body);
      const decodedBytes = checkLogsLimits(request, body.byteLength, values);
      return {
        // OTLP/JSON reserved its decoded size before parsing.
        cost: encoding === 'json' ? 0 : decodedBytes - body.byteLength,
        async send(projectId, encoding) {
          const outcome = await exportLogs(logsConsumer, { projectId, request }, observeLogs);
          return encoding === 'json'
            ? JSON.stringify(jsonLogsResponse(outcome))
            : encodeLogsResponse(outcome);
        },
      };
    });
  }
  if (metrics) {
    const metricsConsumer = metrics;
    route('/v1/metrics', (body, encoding, reserve) => {
      const request =
        encoding === 'json'
          ? decodeJsonMetricsRequest(body, values, reserve)
          : decodeProtobufMetricsRequest(body);
      const decodedBytes = checkMetricsLimits(request, body.byteLength, values);
      return {
        // OTLP/JSON reserved its decoded size before parsing.
        cost: encoding === 'json' ? 0 : decodedBytes - body.byteLength,
        async send(projectId, encoding) {
          // The bytes as received, for exporters forwarding them (JSON converted only if one asks).
          const received = encoding === 'json' ? () => jsonMetricsToProtobuf(body) : () => body;
          const outcome = await exportMetrics(
            metricsConsumer,
            { projectId, request, received },
            observeMetrics,
          );
          return encoding === 'json'
            ? JSON.stringify(jsonMetricsResponse(outcome))
            : encodeMetricsResponse(outcome);
        },
      };
    });
  }
  return app;
}
