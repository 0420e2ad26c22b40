import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';
import {
  type Authenticate,
  type Component,
  closeHttpServer,
  type Logger,
  onceShutdown,
  parseEndpoint,
  type Registry,
  type TlsServerConfig,
  tlsServerOptions,
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
  tls,
  source,
  deletion,
  logger,
  jobs,
  authenticate,
  registry,
  ready,
  version,
  beforeRead,
  shutdownTimeoutMs = 5000,
}: {
  endpoint: string;
  /** HTTPS (and, with clientCaFile, client certificates) instead of plain HTTP: the `query.tls` section. */
  tls?: TlsServerConfig;
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
  /** Before every API request: derive what the embedded store has pending (QueryAppOptions). */
  beforeRead?: (() => Promise<void>) | undefined;
  shutdownTimeoutMs?: number;
}): QueryApiServer {
  let server: ServerType | undefined;
  return {
    port: () => (server ? (server.address() as AddressInfo).port : undefined),
    async start() {
      const { host, port } = parseEndpoint(endpoint);
      const secure = tlsServerOptions(tls, 'query.tls');
      const app = queryApp({
        source,
        logger,
        ...(deletion ? { deletion } : {}),
        ...(jobs ? { jobs } : {}),
        ...(authenticate ? { authenticate } : {}),
        ...(registry ? { registry } : {}),
        ...(ready ? { ready } : {}),
        ...(version ? { version } : {}),
        ...(beforeRead ? { beforeRead } : {}),
      });
      server = await new Promise<ServerType>((resolve, reject) => {
        const s = secure
          ? serve(
              {
                fetch: app.fetch,
                hostname: host,
                port,
                createServer: createHttpsServer,
                serverOptions: secure,
              },
              () => resolve(s),
            )
          : serve({ fetch: app.fetch, hostname: host, port }, () => resolve(s));
        s.once('error', reject);
      });
      logger.info(
        { endpoint, port: (server.address() as AddressInfo).port, tls: secure !== undefined },
        'query API listening',
      );
    },
    shutdown: onceShutdown(async () => {
      if (!server) return;
      await closeHttpServer(server as import('node:http').Server, shutdownTimeoutMs);
    }),
  };
}
