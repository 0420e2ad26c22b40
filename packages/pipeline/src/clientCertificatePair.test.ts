import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { clientCertificatePair } from './clientCertificatePair.ts';

const tls = z
  .object({ certFile: z.string().optional(), keyFile: z.string().optional() })
  .superRefine(clientCertificatePair);

describe('clientCertificatePair', () => {
  it('takes both files or neither', () => {
    expect(tls.safeParse({}).success).toBe(true);
    expect(tls.safeParse({ certFile: 'c.pem', keyFile: 'c.key' }).success).toBe(true);
  });

  it('refuses one without the other, naming the missing one', () => {
    expect(tls.safeParse({ certFile: 'c.pem' }).error?.issues.map((i) => [i.path, i.message])).toEqual([
      [['keyFile'], 'a client certificate needs both certFile and keyFile'],
    ]);
    expect(tls.safeParse({ keyFile: 'c.key' }).error?.issues[0]?.path).toEqual(['certFile']);
  });
});
