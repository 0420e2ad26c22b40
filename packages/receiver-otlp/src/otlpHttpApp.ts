import {
  decodeJsonRequest,
  decodeProtobufRequest,
  encodeProtobufResponse,
  encodeRpcStatus,
  jsonResponse,
  OtlpDecodeError,
  RpcCode,
  type TraceBatch,
  type TraceRequest,
} from '@llmp/otlp';
import { type Consumer, toExportError } from '@llmp/pipeline';
import { Hono } from 'hono';
import { exportTraces } from './exportTraces.ts';
import { BodyError, inflateBody } from './inflateBody.ts';

type Encoding = 'protobuf' | 'json';

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

/** Reads at most `limit` bytes of a request body; more is refused before it is buffered. */
async function readBody(request: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (declared > limit) throw new BodyError(413, `body of ${declared} bytes is larger than ${limit} bytes`);
  if (!request.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of request.body) {
    size += chunk.byteLength;
    if (size > limit) throw new BodyError(413, `body is larger than ${limit} bytes`);
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
  retryAfterMs?: number,
): Response {
  const headers = new Headers({ 'content-type': contentTypes[encoding] });
  if (retryAfterMs !== undefined)
    headers.set('retry-after', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
  const body =
    encoding === 'json'
      ? JSON.stringify({ code, message })
      : encodeRpcStatus({ code, message, retryAfterMs });
  return new Response(body, { status, headers });
}

export interface OtlpHttpAppOptions {
  next: Consumer<TraceBatch>;
  maxBodySize: number;
  /** The project the request's spans belong to (auth resolves it later; `default` without auth). */
  projectOf?: (request: Request) => string;
}

/**
 * The OTLP/HTTP trace endpoint, `POST /v1/traces`, as a Hono app (testable with `app.request()`).
 * @example serve({ fetch: otlpHttpApp({ next, maxBodySize: 20 << 20 }).fetch, port: 4318 })
 */
export function otlpHttpApp({ next, maxBodySize, projectOf = () => 'default' }: OtlpHttpAppOptions): Hono {
  const app = new Hono();
  app.post('/v1/traces', async (c) => {
    const encoding = encodingOf(c.req.header('content-type'));
    if (!encoding) {
      return failure(
        415,
        RpcCode.INVALID_ARGUMENT,
        `unsupported Content-Type "${c.req.header('content-type') ?? ''}" (use application/x-protobuf or application/json)`,
        'json',
      );
    }
    let request: TraceRequest;
    let raw: Uint8Array;
    try {
      const body = await readBody(c.req.raw, maxBodySize);
      raw = inflateBody(body, c.req.header('content-encoding'), maxBodySize);
      request =
        encoding === 'json'
          ? decodeJsonRequest(Buffer.from(raw).toString('utf8'))
          : decodeProtobufRequest(raw);
    } catch (error) {
      if (error instanceof BodyError)
        return failure(error.status, RpcCode.INVALID_ARGUMENT, error.message, encoding);
      if (error instanceof OtlpDecodeError)
        return failure(400, RpcCode.INVALID_ARGUMENT, error.message, encoding);
      throw error;
    }
    try {
      const outcome = await exportTraces(next, {
        projectId: projectOf(c.req.raw),
        request,
        ...(encoding === 'protobuf' ? { bytes: raw } : {}),
      });
      const body =
        encoding === 'json' ? JSON.stringify(jsonResponse(outcome)) : encodeProtobufResponse(outcome);
      return new Response(body, { status: 200, headers: { 'content-type': contentTypes[encoding] } });
    } catch (caught) {
      const error = toExportError(caught);
      if (error.kind === 'permanent') return failure(400, RpcCode.INVALID_ARGUMENT, error.message, encoding);
      // OTLP/HTTP "Retryable response codes": 429 when throttled, 503 when unavailable, both with Retry-After.
      const exhausted = error.reason === 'exhausted';
      return failure(
        exhausted ? 429 : 503,
        exhausted ? RpcCode.RESOURCE_EXHAUSTED : RpcCode.UNAVAILABLE,
        error.message,
        encoding,
        error.retryAfterMs ?? 1000,
      );
    }
  });
  app.all('/v1/traces', (c) =>
    c.json({ code: RpcCode.INVALID_ARGUMENT, message: `method ${c.req.method} not allowed, use POST` }, 405, {
      allow: 'POST',
    }),
  );
  return app;
}
