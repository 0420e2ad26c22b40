import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { openStore, StoreOpenError } from '@llmp/clickhouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCertificates } from '../support/kafka/testCertificates.ts';
import { tempDir } from '../support/tempDir.ts';

// There is no ClickHouse server here: an HTTPS listener with a certificate from a CA made by the
// test stands in for one, answering the client's /ping as ClickHouse does ("Ok.\n"). What is
// checked is that clickhouse.tls reaches @clickhouse/client: with the CA the ping passes the
// certificate check, without it the same ping fails.
const dir = tempDir('clickhouse-tls');
const certs = testCertificates(dir.path);
let server: Server;
let url: string;
const seen: string[] = [];

beforeAll(async () => {
  const keystore = readFileSync(certs.serverKeystoreFile, 'utf8');
  server = createServer({ key: keystore, cert: keystore }, (request, response) => {
    seen.push(request.url ?? '');
    response.end('Ok.\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  dir.remove();
});

describe('clickhouse.tls', () => {
  it('gives the CA to the client: the server certificate is trusted with it and not without', async () => {
    const trusting = await openStore({ url, tls: { caFile: certs.caFile } });
    const withCa = await trusting.client.ping();
    await trusting.close();
    expect(withCa.success).toBe(true);
    expect(seen).toContain('/ping');

    const plain = await openStore({ url });
    const withoutCa = await plain.client.ping();
    await plain.close();
    expect(withoutCa.success).toBe(false);
  });

  it('gives a client certificate with its key', async () => {
    const store = await openStore({
      url,
      tls: { caFile: certs.caFile, certFile: certs.clientCertFile, keyFile: certs.clientKeyFile },
    });
    expect((await store.client.ping()).success).toBe(true);
    await store.close();
  });

  it('stops at open naming the key when a PEM file cannot be read', async () => {
    const missing = join(dir.path, 'missing.pem');
    const refused = await openStore({ url, tls: { caFile: missing } }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(StoreOpenError);
    expect((refused as Error).message).toContain(`clickhouse.tls.caFile: cannot read ${missing}`);
  });
});
