import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Component, type Logger, onceShutdown, parseEndpoint, type Registry } from '@llmp/pipeline';

export interface TelemetryServer extends Component {
  port(): number | undefined;
}

/**
 * The health and self-metrics listener of roles without the query API (gateway, ingester):
 * `/healthz` (alive), `/readyz` (200 only when `ready` resolves within 2 s), `/metrics` (Prometheus).
 * @example const telemetry = telemetryServer({ endpoint: '0.0.0.0:13133', registry, ready, logger });
 */
export function telemetryServer({
  endpoint,
  registry,
  ready,
  version,
  logger,
}: {
  endpoint: string;
  registry: Registry;
  ready: () => Promise<void>;
  /** The build's version, shown by `/healthz`. */
  version?: string;
  logger: Logger;
}): TelemetryServer {
  let server: Server | undefined;
  const answer = (res: import('node:http').ServerResponse, status: number, type: string, body: string) => {
    res.writeHead(status, { 'content-type': type });
    res.end(body);
  };
  return {
    port: () => (server?.address() as AddressInfo | null)?.port,
    async start() {
      server = createServer((req, res) => {
        const path = (req.url ?? '/').split('?')[0];
        if (path === '/healthz') {
          return answer(res, 200, 'application/json', JSON.stringify({ status: 'ok', version }));
        }
        if (path === '/metrics') {
          registry.metrics().then(
            (text) => answer(res, 200, registry.contentType, text),
            () => answer(res, 500, 'text/plain', 'metrics unavailable'),
          );
          return;
        }
        if (path === '/readyz') {
          let timer: NodeJS.Timeout | undefined;
          const timeout = new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error('dependency check timed out')), 2000);
          });
          Promise.race([ready(), timeout])
            .then(
              () => answer(res, 200, 'application/json', '{"status":"ready"}'),
              (error: unknown) =>
                answer(
                  res,
                  503,
                  'application/json',
                  JSON.stringify({
                    status: 'unavailable',
                    reason: String((error as Error)?.message ?? error),
                  }),
                ),
            )
            .finally(() => clearTimeout(timer));
          return;
        }
        answer(res, 404, 'application/json', '{"status":"not found"}');
      });
      const { host, port } = parseEndpoint(endpoint);
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(port, host, () => resolve());
      });
      logger.info({ endpoint, port: (server.address() as AddressInfo).port }, 'telemetry listening');
    },
    shutdown: onceShutdown(async () => {
      if (!server) return;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server!.close(() => resolve()));
    }),
  };
}
