import type { AddressInfo } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';
import {
  type Authenticate,
  type Component,
  type Logger,
  onceShutdown,
  parseEndpoint,
  type Registry,
} from '@llmp/pipeline';
import { type QueryAppOptions, queryApp, type TraceDeletion, type TraceSource } from './queryApp.ts';

export interface QueryApiServer extends Component {
  port(): number | undefined;
}

/**
 * Serves the query API over HTTP.
 * @example const api = queryApiServer({ endpoint: '0.0.0.0:8080', source, logger }); await api.start();
 */
export function queryApiServer({
  endpoint,
  source,
  deletion,
  logger,
  jobs,
  authenticate,
  registry,
  ready,
  version,
  shutdownTimeoutMs = 5000,
}: {
  endpoint: string;
  source: TraceSource;
  deletion?: TraceDeletion | undefined;
  logger: Logger;
  jobs?: QueryAppOptions['jobs'];
  authenticate?: Authenticate | undefined;
  registry?: Registry | undefined;
  /** Readiness behind `/readyz` (the host's checks); the store's ping when absent. */
  ready?: (() => Promise<void>) | undefined;
  /** The build's version, shown by `/healthz`. */
  version?: string | undefined;
  shutdownTimeoutMs?: number;
}): QueryApiServer {
  let server: ServerType | undefined;
  return {
    port: () => (server ? (server.address() as AddressInfo).port : undefined),
    async start() {
      const { host, port } = parseEndpoint(endpoint);
      const app = queryApp({
        source,
        logger,
        ...(deletion ? { deletion } : {}),
        ...(jobs ? { jobs } : {}),
        ...(authenticate ? { authenticate } : {}),
        ...(registry ? { registry } : {}),
        ...(ready ? { ready } : {}),
        ...(version ? { version } : {}),
      });
      server = await new Promise<ServerType>((resolve, reject) => {
        const s = serve({ fetch: app.fetch, hostname: host, port }, () => resolve(s));
        s.once('error', reject);
      });
      logger.info({ endpoint, port: (server.address() as AddressInfo).port }, 'query API listening');
    },
    shutdown: onceShutdown(async () => {
      const http = server as import('node:http').Server | undefined;
      if (!http) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => http.closeAllConnections(), shutdownTimeoutMs);
        const sweeper = setInterval(() => http.closeIdleConnections(), 50);
        http.close(() => {
          clearTimeout(timer);
          clearInterval(sweeper);
          resolve();
        });
        http.closeIdleConnections();
      });
    }),
  };
}
