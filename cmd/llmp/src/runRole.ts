import type { ApiKeysConfig } from '@llmp/auth';
import {
  addressInUse,
  buildService,
  type Component,
  createHost,
  idleHeapRelease,
  type Logger,
  processRegistry,
  type Registry,
  type ResourceProvider,
  type ServiceConfig,
} from '@llmp/pipeline';
import { authenticateFrom } from './authenticateFrom.ts';
import { buildInfo, registerBuildInfo } from './buildInfo.ts';
import { componentMetrics, components } from './components.ts';
import type { QueryApiSpec } from './queryApiService.ts';
import { telemetryServer } from './telemetryServer.ts';

export interface Running {
  stop(): Promise<void>;
}

/** What a role adds to its pipelines: the host's resources and its host services. */
export interface RoleSpec {
  config: ServiceConfig & { auth?: ApiKeysConfig };
  logger: Logger;
  /** The host's resources, made from the role's config sections. */
  providers: (context: { logger: Logger; registry: Registry }) => Array<ResourceProvider<unknown>>;
  /** Serve the query API (store and jobs from the host) on this endpoint. */
  api?: QueryApiSpec | undefined;
  /** Serve `/healthz`, `/readyz` and `/metrics` on this endpoint. */
  telemetry?: { endpoint: string } | undefined;
  /** Components the role's preset defines for host services (e.g. exporters.mlflow for the API). */
  expectedUnused?: string[];
}

/** Starts a host service; a port clash names the config key to change. */
async function startListener(service: Component, key: string, endpoint: string): Promise<void> {
  try {
    await service.start();
  } catch (error) {
    throw addressInUse(error, key, { endpoint }) ?? error;
  }
}

/**
 * Every role is this: load (done by the caller) → build the pipelines over a host → serve.
 * Pipelines start exporters first and receivers last; then the host services (query API,
 * telemetry listener). Stop reverses it: receivers' intake first, host services, resources.
 * @example const running = await runRole({ config, logger, providers: () => [storeProvider(…)], api: config.query });
 */
export async function runRole({
  config,
  logger,
  providers,
  api,
  telemetry,
  expectedUnused = [],
}: RoleSpec): Promise<Running> {
  const registry = processRegistry();
  registerBuildInfo(registry);
  if (Object.keys(config.service.pipelines).length > 0) {
    for (const declare of componentMetrics) declare(registry);
  }
  const { authenticate, keys } = authenticateFrom(config.auth ?? { apiKeys: [] }, process.env);
  if (config.auth) logger.info({ apiKeys: keys, auth: keys > 0 ? 'on' : 'off' }, 'auth configured');
  const host = createHost({ providers: providers({ logger, registry }) });
  const hostServices: Array<{ service: Component; key: string; endpoint: string }> = [];
  try {
    const service = await buildService({
      config,
      factories: components,
      host,
      logger,
      registry,
      authenticate,
      expectedUnused,
    });
    if (api) {
      // Loaded here, not at the top: only the roles that serve the API hold its code.
      const { queryApiServices } = await import('./queryApiService.ts');
      hostServices.push(...(await queryApiServices({ api, host, logger, registry, authenticate })));
    }
    if (telemetry) {
      const server = telemetryServer({
        endpoint: telemetry.endpoint,
        registry,
        ready: () => host.ready(),
        version: buildInfo().version,
        logger: logger.child({ component: 'telemetry' }),
      });
      hostServices.push({ service: server, key: 'telemetry', endpoint: telemetry.endpoint });
    }
    await service.start();
    const started: Component[] = [];
    try {
      for (const { service: s, key, endpoint } of hostServices) {
        await startListener(s, key, endpoint);
        started.push(s);
      }
    } catch (error) {
      await service.shutdown();
      for (const s of started.reverse()) await s.shutdown().catch(() => undefined);
      throw error;
    }
    // A burst's garbage is given back once the process goes idle (issue 16, item 3).
    const heapRelease = idleHeapRelease({ registry });
    return {
      async stop() {
        heapRelease.stop();
        // Receivers stop intake first, processors flush, exporters drain; then the host.
        try {
          await service.shutdown();
        } finally {
          for (const { service: s } of [...hostServices].reverse()) await s.shutdown();
          await host.shutdown();
        }
      },
    };
  } catch (error) {
    await host.shutdown().catch(() => undefined);
    throw error;
  }
}
