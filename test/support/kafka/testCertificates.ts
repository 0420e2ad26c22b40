import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCertificates {
  /** PEM of the test CA. */
  caFile: string;
  /** The broker's key and certificate (SAN 127.0.0.1 and localhost), signed by the CA, in one PEM file (Kafka's PEM keystore). */
  serverKeystoreFile: string;
  /** A client certificate and its key, signed by the CA. */
  clientCertFile: string;
  clientKeyFile: string;
  /** A CA that signed nothing here: trusting it must fail the handshake. */
  otherCaFile: string;
}

/**
 * Makes a throwaway CA, a broker certificate for 127.0.0.1 / localhost and a client certificate
 * with the machine's openssl, as PEM files in `dir` (keys unencrypted PKCS#8, which Kafka's PEM
 * keystore reads).
 * @example const certs = testCertificates(dir); // certs.caFile, certs.serverKeystoreFile, …
 */
export function testCertificates(dir: string): TestCertificates {
  const path = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  const ca = (name: string) =>
    openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      path(`${name}.key`),
      '-out',
      path(`${name}.pem`),
    );
  const signed = (name: string, san: string | undefined) => {
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      path(`${name}.key`),
      '-out',
      path(`${name}.csr`),
    );
    if (san) writeFileSync(path(`${name}.ext`), `subjectAltName=${san}\n`);
    openssl(
      'x509',
      '-req',
      '-in',
      path(`${name}.csr`),
      '-CA',
      path('llmp-test-ca.pem'),
      '-CAkey',
      path('llmp-test-ca.key'),
      '-CAcreateserial',
      '-days',
      '2',
      '-out',
      path(`${name}.pem`),
      ...(san ? ['-extfile', path(`${name}.ext`)] : []),
    );
  };
  ca('llmp-test-ca');
  ca('llmp-other-ca');
  signed('localhost', 'IP:127.0.0.1,DNS:localhost');
  signed('llmp-client', undefined);
  const serverKeystoreFile = path('broker-keystore.pem');
  writeFileSync(
    serverKeystoreFile,
    Buffer.concat([readFileSync(path('localhost.key')), readFileSync(path('localhost.pem'))]),
  );
  return {
    caFile: path('llmp-test-ca.pem'),
    serverKeystoreFile,
    clientCertFile: path('llmp-client.pem'),
    clientKeyFile: path('llmp-client.key'),
    otherCaFile: path('llmp-other-ca.pem'),
  };
}
