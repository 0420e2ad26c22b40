import * as http2 from 'node:http2';

/**
 * An HTTP/2 connection to a gRPC listener, ready once the server's settings are in; `sessions`
 * collects it for the test to destroy.
 * @example const session = await connectHttp2(port, sessions);
 */
export async function connectHttp2(
  port: number,
  sessions: http2.ClientHttp2Session[],
): Promise<http2.ClientHttp2Session> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on('error', () => {});
  sessions.push(session);
  await new Promise((resolve) => session.once('remoteSettings', resolve));
  return session;
}

export interface RawExport {
  stream: http2.ClientHttp2Stream;
  /** The grpc-status the server answered (undefined if none) and the reset code, once the stream closed. */
  closed: Promise<{ grpcStatus: string | undefined; rstCode: number | undefined }>;
}

/**
 * A TraceService/Export call over a raw HTTP/2 stream that has sent only the gRPC message prefix
 * announcing `length` bytes: the test writes the message (or part of it) itself, as slowly as it likes.
 * @example const call = rawExport(session, body.length); call.stream.write(body.subarray(0, 1));
 */
export function rawExport(session: http2.ClientHttp2Session, length: number): RawExport {
  const stream = session.request({
    ':method': 'POST',
    ':path': '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
    'content-type': 'application/grpc',
    te: 'trailers',
  });
  let grpcStatus: string | undefined;
  const record = (headers: http2.IncomingHttpHeaders) => {
    grpcStatus ??= headers['grpc-status'] as string | undefined;
  };
  stream.on('response', record);
  stream.on('trailers', record);
  stream.on('error', () => {});
  stream.resume();
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(length, 1);
  stream.write(prefix);
  return {
    stream,
    closed: new Promise((resolve) =>
      stream.on('close', () => resolve({ grpcStatus, rstCode: stream.rstCode })),
    ),
  };
}
