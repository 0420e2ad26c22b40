import { describe, expect, it } from 'vitest';
import { clickhouseTlsConfig } from './clickhouseTls.ts';

describe('clickhouseTlsConfig', () => {
  it('takes a CA alone, or with a client certificate and its key', () => {
    expect(clickhouseTlsConfig.safeParse({ caFile: 'ca.pem' }).success).toBe(true);
    expect(
      clickhouseTlsConfig.safeParse({ caFile: 'ca.pem', certFile: 'client.pem', keyFile: 'client.key' })
        .success,
    ).toBe(true);
  });

  it('refuses half a client certificate, naming the missing file', () => {
    const certOnly = clickhouseTlsConfig.safeParse({ caFile: 'ca.pem', certFile: 'client.pem' });
    expect(certOnly.error?.issues.map((i) => [i.path, i.message])).toEqual([
      [['keyFile'], 'a client certificate needs both certFile and keyFile'],
    ]);
    const keyOnly = clickhouseTlsConfig.safeParse({ caFile: 'ca.pem', keyFile: 'client.key' });
    expect(keyOnly.error?.issues[0]?.path).toEqual(['certFile']);
  });
});
