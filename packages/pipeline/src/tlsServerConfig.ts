import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from './configError.ts';

/**
 * A listener's `tls` section, as the Collector's configtls server settings: absent means
 * plaintext. With `clientCaFile` every client must present a certificate that CA signed (mTLS);
 * a client without one is refused in the handshake.
 */
export const tlsServerConfig = z
  .object({
    /** PEM certificate chain the listener presents. */
    certFile: z.string().min(1),
    /** PEM private key of that certificate. */
    keyFile: z.string().min(1),
    /** PEM CA bundle that client certificates must chain to; set, a client certificate is required. */
    clientCaFile: z.string().min(1).optional(),
    /** Oldest TLS version accepted (the Collector's default is 1.2). */
    minVersion: z.enum(['1.2', '1.3']).default('1.2'),
  })
  .optional();

export type TlsServerConfig = z.infer<typeof tlsServerConfig>;

/** What `tls.createSecureContext` and the TLS server constructors take. */
export interface TlsServerOptions {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
  requestCert: boolean;
  rejectUnauthorized: boolean;
  minVersion: 'TLSv1.2' | 'TLSv1.3';
}

/**
 * Reads a `tls` section's files at start, so a wrong path stops the process with the key and the
 * path named (never a file's content); undefined for a plaintext listener.
 * @example const options = tlsServerOptions(config.http.tls, 'receivers.otlp.http.tls');
 */
export function tlsServerOptions(config: TlsServerConfig, key: string): TlsServerOptions | undefined {
  if (!config) return undefined;
  const read = (field: 'certFile' | 'keyFile' | 'clientCaFile', path: string) => {
    try {
      return readFileSync(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new ConfigError(`${key}.${field}: cannot read ${path} (${code})`);
    }
  };
  const ca = config.clientCaFile ? read('clientCaFile', config.clientCaFile) : undefined;
  return {
    cert: read('certFile', config.certFile),
    key: read('keyFile', config.keyFile),
    ...(ca ? { ca } : {}),
    requestCert: ca !== undefined,
    rejectUnauthorized: ca !== undefined,
    minVersion: config.minVersion === '1.3' ? 'TLSv1.3' : 'TLSv1.2',
  };
}
