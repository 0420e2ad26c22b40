import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { format } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { type ServerType, serve } from '@hono/node-server';
import type { LogBatch, MetricBatch, TraceBatch } from '@llmp/otlp';
import {
  type Component,
  type ComponentSettings,
  type Consumer,
  closeHttpServer,
  onceShutdown,
  parseEndpoint,
  type Signal,
  tlsServerOptions,
} from '@llmp/pipeline';
import { grpcFlowWindow } from './grpcFlowWindow.ts';
import { logsService, logsServiceDefinition } from './grpcLogsService.ts';
import { metricsService, metricsServiceDefinition } from './grpcMetricsService.ts';
import { grpcReadBudget } from './grpcReadBudget.ts';
import { grpcReadDeadline } from './grpcReadDeadline.ts';
import { grpcServerCredentials } from './grpcServerCredentials.ts';
import { traceService, traceServiceDefinition } from './grpcTraceService.ts';
import { inFlightLimit } from './inFlightLimit.ts';
import { logsObserver } from './logsObserver.ts';
import { metricsObserver } from './metricsObserver.ts';
import { otlpHttpApp } from './otlpHttpApp.ts';
import { type OtlpReceiverConfig, otlpReceiverConfig } from './otlpReceiverConfig.ts';
import { otlpReceiverMetrics } from './otlpReceiverMetrics.ts';
import { receiverObserver } from './receiverObserver.ts';

export interface OtlpReceiver extends Component {
  /** Bound ports once started (useful with port 0). */
  ports(): { grpc?: number; http?: number };
}

function bindGrpc(server: grpc.Server, { endpoint, tls }: OtlpReceiverConfig['grpc']): Promise<number> {
  const { host, port } = parseEndpoint(endpoint);
  const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  const credentials = grpcServerCredentials(tlsServerOptions(tls, 'receivers.otlp.grpc.tls'));
  return new Promise((resolve, reject) =>
    server.bindAsync(address, credentials, (error, bound) => (error ? reject(error) : resolve(bound))),
  );
}

function listenHttp(
  fetch: (request: Request) => Response | Promise<Response>,
  { endpoint, readHeaderTimeout, readTimeout, tls }: OtlpReceiverConfig['http'],
) {
  const secure = tlsServerOptions(tls, 'receivers.otlp.http.tls');
  const { host, port } = parseEndpoint(endpoint);
  // Node checks both deadlines every connectionsCheckingInterval (30 s by default): check often
  // enough that a deadline holds to within a quarter of itself.
  const serverOptions = {
    headersTimeout: Math.min(readHeaderTimeout, readTimeout),
    requestTimeout: readTimeout,
    connectionsCheckingInterval: Math.max(
      100,
      Math.min(30_000, Math.min(readHeaderTimeout, readTimeout) / 4),
    ),
  };
  return new Promise<ServerType>((resolve, reject) => {
    const server = secure
      ? serve(
          {
            fetch,
            hostname: host,
            port,
            createServer: createHttpsServer,
            serverOptions: { ...serverOptions, ...secure },
          },
          () => resolve(server),
        )
      : serve({ fetch, hostname: host, port, serverOptions }, () => resolve(server));
    server.once('error', reject);
  });
}

function closeGrpcServer(server: grpc.Server, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.forceShutdown(), timeoutMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** The pipelines an otlp receiver feeds, by signal; a signal without one is not served (404 / UNIMPLEMENTED). */
export interface OtlpConsumers {
  traces?: Consumer<TraceBatch>;
  logs?: Consumer<LogBatch>;
  metrics?: Consumer<MetricBatch>;
}

/**
 * The `otlp` receiver: OTLP/gRPC TraceService, LogsService and MetricsService on 4317 and
 * OTLP/HTTP `/v1/traces`, `/v1/logs` and `/v1/metrics` on 4318, one listener per transport for
 * every pipeline that names it.
 * @example const receiver = otlpReceiverFactory.create(settings, otlpReceiverConfig.parse({}), next);
 */
export const otlpReceiverFactory = {
  type: 'otlp',
  configSchema: otlpReceiverConfig,
  signals: ['traces', 'logs', 'metrics'] as readonly Signal[],
  perSignal: true,
  create(
    settings: ComponentSettings,
    config: OtlpReceiverConfig,
    next: Consumer<TraceBatch> | OtlpConsumers,
  ): OtlpReceiver {
    const {
      traces,
      logs,
      metrics: metricPoints,
    } = 'consume' in next ? { traces: next, logs: undefined, metrics: undefined } : next;
    const { logger, authenticate } = settings;
    const metrics = otlpReceiverMetrics(settings.registry);
    const limit = inFlightLimit({
      maxRequests: config.maxInFlightRequests,
      maxBytes: config.maxInFlightBytes,
      onChange(requests, bytes) {
        metrics.receiverInFlightRequests.set({ receiver: settings.id }, requests);
        metrics.receiverInFlightBytes.set({ receiver: settings.id }, bytes);
      },
    });
    // A request's decoded size is reserved in maxInFlightBytes: one that could never fit there
    // is refused for good rather than answered "retry later" forever.
    const values = {
      ...config.limits,
      maxDecodedBytes: Math.min(config.limits.maxDecodedBytes, config.maxInFlightBytes),
    };
    const shared = { limit, values, ...(authenticate ? { authenticate } : {}) };
    let grpcServer: grpc.Server | undefined;
    let httpServer: ServerType | undefined;
    const bound: { grpc?: number; http?: number } = {};
    let stopped = false;

    return {
      ports: () => ({ ...bound }),
      async start() {
        if (config.grpc.enabled) {
          // grpc-js writes its own lines to stderr (e.g. "No address added out of total 1
          // resolved" before a port clash we report with the config key): into our log instead.
          const grpcLog = (...args: unknown[]) => settings.logger.debug({ grpc: format(...args) }, 'grpc-js');
          grpc.setLogger({ error: grpcLog, info: grpcLog, debug: grpcLog });
          const { maxConnectionIdle, maxConnectionAge, maxConnectionAgeGrace } = config.grpc.keepalive;
          const observe = receiverObserver(metrics, settings.id, 'grpc');
          grpcServer = new grpc.Server({
            interceptors: [
              grpcFlowWindow({
                streamWindow: config.grpc.initialWindowSize,
                connectionWindow: config.grpc.initialConnWindowSize,
              }),
              grpcReadBudget({ limit, onRefused: () => observe.refusedRequest('overloaded') }),
              grpcReadDeadline({
                timeoutMs: config.grpc.readTimeout,
                onExpired: () => observe.refusedRequest('aborted'),
              }),
            ],
            'grpc.max_receive_message_length': config.grpc.maxRecvMsgSize,
            'grpc.max_send_message_length': 4 * 1024 ** 2,
            'grpc.max_concurrent_streams': config.grpc.maxConcurrentStreams,
            // grpc-js takes an absent option as unlimited; 0 is "unlimited" in our config.
            ...(maxConnectionIdle > 0 ? { 'grpc.max_connection_idle_ms': maxConnectionIdle } : {}),
            ...(maxConnectionAge > 0 ? { 'grpc.max_connection_age_ms': maxConnectionAge } : {}),
            ...(maxConnectionAgeGrace > 0
              ? { 'grpc.max_connection_age_grace_ms': maxConnectionAgeGrace }
              : {}),
          });
          if (traces)
            grpcServer.addService(traceServiceDefinition, traceService({ ...shared, next: traces, observe }));
          if (logs) {
            const observeLogs = logsObserver(settings.registry, settings.id, 'grpc', observe);
            grpcServer.addService(
              logsServiceDefinition,
              logsService({ ...shared, next: logs, observe: observeLogs }),
            );
          }
          if (metricPoints) {
            const observePoints = metricsObserver(settings.registry, settings.id, 'grpc', observe);
            grpcServer.addService(
              metricsServiceDefinition,
              metricsService({ ...shared, next: metricPoints, observe: observePoints }),
            );
          }
          bound.grpc = await bindGrpc(grpcServer, config.grpc);
          logger.info({ endpoint: config.grpc.endpoint, port: bound.grpc }, 'OTLP/gRPC receiver listening');
        }
        if (config.http.enabled) {
          const observe = receiverObserver(metrics, settings.id, 'http');
          const app = otlpHttpApp({
            ...shared,
            next: traces,
            ...(logs
              ? { logs, observeLogs: logsObserver(settings.registry, settings.id, 'http', observe) }
              : {}),
            ...(metricPoints
              ? {
                  metrics: metricPoints,
                  observeMetrics: metricsObserver(settings.registry, settings.id, 'http', observe),
                }
              : {}),
            maxBodySize: config.http.maxBodySize,
            observe,
          });
          app.onError((error, c) => {
            logger.error({ err: error }, 'OTLP/HTTP request failed');
            return c.json({ code: 13, message: 'internal error' }, 500);
          });
          httpServer = await listenHttp(app.fetch, config.http);
          bound.http = (httpServer.address() as AddressInfo).port;
          logger.info({ endpoint: config.http.endpoint, port: bound.http }, 'OTLP/HTTP receiver listening');
        }
      },
      shutdown: onceShutdown(async () => {
        if (stopped) return;
        stopped = true;
        await Promise.all([
          grpcServer ? closeGrpcServer(grpcServer, config.shutdownTimeoutMs) : undefined,
          httpServer
            ? closeHttpServer(httpServer as import('node:http').Server, config.shutdownTimeoutMs)
            : undefined,
        ]);
      }),
    };
  },
};
