import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCertificates {
  /** Paths of the PEM files. */
  files: { ca: string; serverCert: string; serverKey: string; clientCert: string; clientKey: string };
  ca: Buffer;
  clientCert: Buffer;
  clientKey: Buffer;
}

const openssl = (args: string[], cwd: string) => execFileSync('openssl', args, { cwd, stdio: 'pipe' });

/** A leaf certificate (EC P-256) signed by the test CA, for `subjectAltName` (server) or a client. */
function leaf(dir: string, name: string, extensions: string): void {
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`], dir);
  openssl(
    ['req', '-new', '-key', `${name}.key`, '-subj', `/CN=llmp-test-${name}`, '-out', `${name}.csr`],
    dir,
  );
  writeFileSync(join(dir, `${name}.ext`), `${extensions}\n`);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-sha256',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.crt`,
    ],
    dir,
  );
}

/**
 * A CA, a server certificate for 127.0.0.1 and localhost, and a client certificate, all made by the
 * openssl CLI for this run (nothing checked in), valid for two days.
 * @example const certs = testCertificates(dir); // certs.files.serverCert …
 */
export function testCertificates(dir: string): TestCertificates {
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key'], dir);
  openssl(
    [
      'req',
      '-x509',
      '-new',
      '-key',
      'ca.key',
      '-subj',
      '/CN=llmp-test-ca',
      '-days',
      '2',
      '-sha256',
      '-out',
      'ca.crt',
    ],
    dir,
  );
  leaf(dir, 'server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth');
  leaf(dir, 'client', 'extendedKeyUsage=clientAuth');
  const files = {
    ca: join(dir, 'ca.crt'),
    serverCert: join(dir, 'server.crt'),
    serverKey: join(dir, 'server.key'),
    clientCert: join(dir, 'client.crt'),
    clientKey: join(dir, 'client.key'),
  };
  return {
    files,
    ca: readFileSync(files.ca),
    clientCert: readFileSync(files.clientCert),
    clientKey: readFileSync(files.clientKey),
  };
}
