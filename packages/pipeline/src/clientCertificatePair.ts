import type { z } from 'zod';

/**
 * A `tls` section's rule for a client certificate, for `superRefine`: `certFile` and `keyFile`
 * come together or not at all, and the issue names the one missing.
 * @example z.object({ certFile: z.string().optional(), keyFile: z.string().optional() }).superRefine(clientCertificatePair)
 */
export function clientCertificatePair(
  tls: { certFile?: string | undefined; keyFile?: string | undefined },
  ctx: z.RefinementCtx,
): void {
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) {
    ctx.addIssue({
      code: 'custom',
      path: [tls.certFile === undefined ? 'certFile' : 'keyFile'],
      message: 'a client certificate needs both certFile and keyFile',
    });
  }
}
