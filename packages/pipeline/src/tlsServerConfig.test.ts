import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from './configError.ts';
import { tlsServerConfig, tlsServerOptions } from './tlsServerConfig.ts';

describe('tlsServerOptions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmp-tls-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  writeFileSync(cert, 'CERT');
  writeFileSync(key, 'KEY');

  it('is plaintext without a tls section, TLS 1.2+ without client certificates by default', () => {
    expect(tlsServerOptions(tlsServerConfig.parse(undefined), 'query.tls')).toBeUndefined();
    const options = tlsServerOptions(tlsServerConfig.parse({ certFile: cert, keyFile: key }), 'query.tls');
    expect(options).toEqual({
      cert: Buffer.from('CERT'),
      key: Buffer.from('KEY'),
      requestCert: false,
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
    });
  });

  it('requires client certificates signed by clientCaFile', () => {
    const options = tlsServerOptions(
      tlsServerConfig.parse({ certFile: cert, keyFile: key, clientCaFile: cert, minVersion: '1.3' }),
      'query.tls',
    );
    expect(options).toMatchObject({ ca: Buffer.from('CERT'), requestCert: true, rejectUnauthorized: true });
    expect(options?.minVersion).toBe('TLSv1.3');
  });

  it('names the key and the path of a file it cannot read', () => {
    const missing = join(dir, 'missing.pem');
    const load = () => tlsServerOptions({ certFile: cert, keyFile: missing, minVersion: '1.2' }, 'query.tls');
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(`query.tls.keyFile: cannot read ${missing} (ENOENT)`);
  });

  it('refuses a version older than 1.2 and a section without a key file', () => {
    expect(tlsServerConfig.safeParse({ certFile: cert, keyFile: key, minVersion: '1.1' }).success).toBe(
      false,
    );
    expect(tlsServerConfig.safeParse({ certFile: cert }).success).toBe(false);
  });
});
