import * as grpc from '@grpc/grpc-js';
import type { TlsServerOptions } from '@llmp/pipeline';

/**
 * grpc-js credentials for a listener: plaintext without options, else TLS with the Collector's
 * settings (minimum version, client certificates required when a client CA is set), which
 * `ServerCredentials.createSsl` cannot express (it has no minimum version).
 * @example server.bindAsync('0.0.0.0:4317', grpcServerCredentials(tlsServerOptions(config.tls, key)), done)
 */
export function grpcServerCredentials(tls: TlsServerOptions | undefined): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  const { requestCert, rejectUnauthorized, ...context } = tls;
  return new TlsServerCredentials({ requestCert, rejectUnauthorized }, context);
}

class TlsServerCredentials extends grpc.ServerCredentials {
  _equals(other: grpc.ServerCredentials): boolean {
    return other === this;
  }
}
