import { readFileSync } from 'node:fs';
import { clientCertificatePair } from '@llmp/pipeline';
import { z } from 'zod';
import { StoreOpenError } from './storeOpenError.ts';

/** `clickhouse.tls`: the CA of an `https://` server's certificate, and a client certificate if it wants one. */
export const clickhouseTlsConfig = z
  .object({
    /** PEM of the CA that signed the server's certificate (the system's CAs are not used then). */
    caFile: z.string().min(1),
    /** PEM client certificate and key, for a server that checks client certificates. */
    certFile: z.string().min(1).optional(),
    keyFile: z.string().min(1).optional(),
  })
  .superRefine(clientCertificatePair);

export type ClickHouseTlsConfig = z.infer<typeof clickhouseTlsConfig>;

function readPem(file: string, key: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new StoreOpenError(`clickhouse.tls.${key}: cannot read ${file}: ${(error as Error).message}`);
  }
}

/**
 * The `tls` option of @clickhouse/client from `clickhouse.tls`, the PEM files read now so a
 * missing one stops the role at start naming the key.
 * @example createClient({ url, tls: clickhouseTls({ caFile: '/etc/llmp/ch-ca.pem' }) })
 */
export function clickhouseTls(
  tls: ClickHouseTlsConfig,
): { ca_cert: Buffer } | { ca_cert: Buffer; cert: Buffer; key: Buffer } {
  const ca_cert = readPem(tls.caFile, 'caFile');
  if (tls.certFile && tls.keyFile) {
    return { ca_cert, cert: readPem(tls.certFile, 'certFile'), key: readPem(tls.keyFile, 'keyFile') };
  }
  return { ca_cert };
}
