import { Agent, createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { closeHttpServer } from './closeHttpServer.ts';

let server: Server | undefined;
afterEach(() => {
  server?.closeAllConnections();
  server?.close();
});

function listen(handler: Parameters<typeof createServer>[1]): Promise<number> {
  server = createServer(handler);
  // Longer than the test may run: closing must not wait for idle keep-alive connections to time out.
  server.keepAliveTimeout = 120_000;
  return new Promise((resolve) =>
    server!.listen(0, '127.0.0.1', () => resolve((server!.address() as AddressInfo).port)),
  );
}

function request(port: number, agent: Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
      let body = '';
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

describe('closeHttpServer', () => {
  it('lets a request in flight finish, then closes its keep-alive connection without waiting for it to time out', async () => {
    let started!: () => void;
    const inFlight = new Promise<void>((resolve) => {
      started = resolve;
    });
    const port = await listen((_req, res) => {
      started();
      setTimeout(() => res.end('done'), 100);
    });
    const agent = new Agent({ keepAlive: true });
    const answer = request(port, agent);
    await inFlight;
    await closeHttpServer(server!, 120_000);
    expect(await answer).toEqual({ status: 200, body: 'done' });
    agent.destroy();
  });

  it('cuts a request that does not finish within the timeout', async () => {
    const port = await listen(() => {});
    const agent = new Agent({ keepAlive: true });
    const answer = request(port, agent).catch((error: Error) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await closeHttpServer(server!, 100);
    expect(await answer).toBeInstanceOf(Error);
    agent.destroy();
  });
});
