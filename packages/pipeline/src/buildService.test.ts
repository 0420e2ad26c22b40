import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { buildService } from './buildService.ts';
import type { Component, ComponentSettings, Consumer } from './component.ts';
import type { BuildableFactory, ComponentFactories } from './componentFactories.ts';
import { ConfigError } from './configError.ts';
import { createLogger } from './createLogger.ts';
import { createHost, resourceKey } from './host.ts';
import type { PipelineConfig, ServiceConfig } from './serviceConfig.ts';

const logger = createLogger({ level: 'silent' });

/** Records every start, shutdown and consume of the components it makes, in order. */
function recorder() {
  const log: string[] = [];
  const made: Array<{ id: string; settings: ComponentSettings }> = [];
  const receivers = new Map<string, Consumer<string>>();
  const part = (id: string, extra: Partial<Component & Consumer<string>> = {}) => ({
    async start() {
      log.push(`${id}:start`);
    },
    async shutdown() {
      log.push(`${id}:shutdown`);
    },
    ...extra,
  });
  const config = z.object({ tag: z.string().default('') });
  const factories: ComponentFactories = {
    receivers: [
      {
        type: 'in',
        configSchema: config,
        create(settings, _config, next) {
          made.push({ id: settings.id, settings });
          receivers.set(settings.id, next as Consumer<string>);
          return part(`r:${settings.id}`);
        },
      },
    ],
    processors: [
      {
        type: 'tag',
        configSchema: config,
        // Async create, as a factory that asks the host for a client first.
        async create(settings, c, next) {
          made.push({ id: settings.id, settings });
          const { tag } = c as { tag: string };
          return part(`p:${settings.id}`, {
            consume: (data: string) => (next as Consumer<string>).consume(`${data}+${tag}`),
          });
        },
      },
    ],
    exporters: [
      {
        type: 'out',
        configSchema: config,
        create(settings) {
          made.push({ id: settings.id, settings });
          return part(`e:${settings.id}`, {
            async consume(data: string) {
              log.push(`e:${settings.id}<-${data}`);
            },
          });
        },
      },
      {
        type: 'after',
        configSchema: config,
        follows: ['out'],
        create(settings) {
          made.push({ id: settings.id, settings });
          return part(`e:${settings.id}`, {
            async consume(data: string) {
              log.push(`e:${settings.id}<-${data}`);
            },
          });
        },
      } satisfies BuildableFactory,
    ],
  };
  return { log, made, receivers, factories };
}

const service = (
  pipelines: Record<string, Partial<PipelineConfig>>,
  components: Partial<Pick<ServiceConfig, 'receivers' | 'processors' | 'exporters'>>,
): ServiceConfig => ({
  receivers: components.receivers ?? {},
  processors: components.processors ?? {},
  exporters: components.exporters ?? {},
  service: {
    pipelines: Object.fromEntries(
      Object.entries(pipelines).map(([id, p]) => [
        id,
        { receivers: p.receivers ?? [], processors: p.processors ?? [], exporters: p.exporters ?? [] },
      ]),
    ),
  },
});

describe('buildService', () => {
  it('starts exporters, then processors from the last, then receivers; stops receivers first', async () => {
    const { log, factories } = recorder();
    const built = await buildService({
      config: service(
        { traces: { receivers: ['in'], processors: ['tag/a', 'tag/b'], exporters: ['out'] } },
        { receivers: { in: {} }, processors: { 'tag/a': {}, 'tag/b': {} }, exporters: { out: {} } },
      ),
      factories,
      host: createHost(),
      logger,
    });
    await built.start();
    expect(log).toEqual(['e:out:start', 'p:tag/b:start', 'p:tag/a:start', 'r:in:start']);
    log.length = 0;
    await built.shutdown();
    expect(log).toEqual(['r:in:shutdown', 'p:tag/a:shutdown', 'p:tag/b:shutdown', 'e:out:shutdown']);
  });

  it('runs processors in order and fans in to every exporter', async () => {
    const { log, receivers, factories } = recorder();
    await buildService({
      config: service(
        { traces: { receivers: ['in'], processors: ['tag/a', 'tag/b'], exporters: ['out/1', 'out/2'] } },
        {
          receivers: { in: {} },
          processors: { 'tag/a': { tag: 'a' }, 'tag/b': { tag: 'b' } },
          exporters: { 'out/1': {}, 'out/2': {} },
        },
      ),
      factories,
      host: createHost(),
      logger,
    });
    await receivers.get('in')!.consume('x');
    expect(log.sort()).toEqual(['e:out/1<-x+a+b', 'e:out/2<-x+a+b']);
  });

  it('makes a receiver or exporter shared by two pipelines once, and fans the receiver out to both', async () => {
    const { log, made, receivers, factories } = recorder();
    const built = await buildService({
      config: service(
        {
          traces: { receivers: ['in'], processors: ['tag/a'], exporters: ['out'] },
          'traces/raw': { receivers: ['in'], exporters: ['out'] },
        },
        { receivers: { in: {} }, processors: { 'tag/a': { tag: 'a' } }, exporters: { out: {} } },
      ),
      factories,
      host: createHost(),
      logger,
    });
    expect(made.filter((m) => m.id === 'in')).toHaveLength(1);
    expect(made.filter((m) => m.id === 'out')).toHaveLength(1);
    await receivers.get('in')!.consume('x');
    expect(log.sort()).toEqual(['e:out<-x', 'e:out<-x+a']);
    log.length = 0;
    await built.start();
    // One start per instance, however many pipelines share it.
    expect(log.filter((l) => l === 'e:out:start')).toHaveLength(1);
  });

  it('hands a follower a batch only once the exporter it follows accepted it', async () => {
    const { log, made, receivers, factories } = recorder();
    let open = () => {};
    const gate = { promise: new Promise<void>((resolve) => (open = resolve)) };
    factories.exporters[0]!.create = (settings) => ({
      async start() {},
      async shutdown() {},
      async consume(data: string) {
        await gate.promise;
        log.push(`e:${settings.id}<-${data}`);
      },
    });
    await buildService({
      config: service(
        { traces: { receivers: ['in'], exporters: ['after', 'out'] } },
        { receivers: { in: {} }, exporters: { out: {}, after: {} } },
      ),
      factories,
      host: createHost(),
      logger,
    });
    expect(made.find((m) => m.id === 'after')?.settings.leader).toBe('out');
    const sent = receivers.get('in')!.consume('x');
    await new Promise((r) => setTimeout(r, 10));
    expect(log).toEqual([]);
    open();
    await sent;
    expect(log).toEqual(['e:out<-x', 'e:after<-x']);
  });

  it('gives a follower no leader where the exporter it follows is not in its pipeline', async () => {
    const { made, factories } = recorder();
    await buildService({
      config: service(
        { traces: { receivers: ['in'], exporters: ['after'] } },
        {
          receivers: { in: {} },
          exporters: { after: {} },
        },
      ),
      factories,
      host: createHost(),
      logger,
    });
    expect(made.find((m) => m.id === 'after')?.settings.leader).toBeUndefined();
  });

  it('refuses an unknown id, a pipeline without receiver or exporter, with the key to change', async () => {
    const { factories } = recorder();
    const build = (config: ServiceConfig) => buildService({ config, factories, host: createHost(), logger });
    await expect(
      build(
        service(
          { traces: { receivers: ['in'], exporters: ['out/2'] } },
          { receivers: { in: {} }, exporters: { out: {} } },
        ),
      ),
    ).rejects.toThrow(
      /service\.pipelines\.traces\.exporters: "out\/2" is not configured under exporters \(configured: out\)/,
    );
    await expect(
      build(service({ traces: { exporters: ['out'] } }, { exporters: { out: {} } })),
    ).rejects.toThrow(/service\.pipelines\.traces\.receivers: a pipeline needs at least one receiver/);
    await expect(
      build(service({ traces: { receivers: ['in'] } }, { receivers: { in: {} } })),
    ).rejects.toThrow(/service\.pipelines\.traces\.exporters: a pipeline needs at least one exporter/);
    await expect(
      build(
        service(
          { spans: { receivers: ['in'], exporters: ['out'] } },
          { receivers: { in: {} }, exporters: { out: {} } },
        ),
      ),
    ).rejects.toThrow(ConfigError);
    await expect(
      build(
        service(
          { logs: { receivers: ['in'], exporters: ['out'] } },
          { receivers: { in: {} }, exporters: { out: {} } },
        ),
      ),
    ).rejects.toThrow(/receiver "in" does not handle logs/);
  });

  it('warns about a component no pipeline uses, unless the role expects it', async () => {
    const { factories } = recorder();
    const warn = vi.fn();
    const quietLogger = Object.assign(createLogger({ level: 'silent' }), { warn });
    const config = service(
      { traces: { receivers: ['in'], exporters: ['out'] } },
      { receivers: { in: {} }, exporters: { out: {}, 'out/spare': {} } },
    );
    await buildService({ config, factories, host: createHost(), logger: quietLogger });
    expect(warn).toHaveBeenCalledWith(
      { unused: ['exporters.out/spare'] },
      'components configured but in no pipeline',
    );
    warn.mockClear();
    await buildService({
      config,
      factories,
      host: createHost(),
      logger: quietLogger,
      expectedUnused: ['exporters.out/spare'],
    });
    expect(warn).not.toHaveBeenCalled();
  });

  it('names the config key of a listener whose address is in use', async () => {
    const { factories } = recorder();
    const inUse = Object.assign(new Error('listen EADDRINUSE: address already in use 0.0.0.0:4317'), {
      code: 'EADDRINUSE',
      port: 4317,
    });
    factories.receivers = [
      {
        type: 'in',
        configSchema: z.object({}),
        create: () => ({
          start: () => Promise.reject(inUse),
          shutdown: async () => {},
        }),
      },
    ];
    const built = await buildService({
      config: service(
        { traces: { receivers: ['in'], exporters: ['out'] } },
        {
          receivers: { in: { grpc: { endpoint: '0.0.0.0:4317' }, http: { endpoint: '0.0.0.0:4318' } } },
          exporters: { out: {} },
        },
      ),
      factories,
      host: createHost(),
      logger,
    });
    await expect(built.start()).rejects.toThrow(
      'receivers.in.grpc.endpoint 0.0.0.0:4317 is in use; change it in the config or with --set receivers.in.grpc.endpoint=<host:port>',
    );
  });

  it('names the component that needs a resource its role does not have', async () => {
    const { factories } = recorder();
    factories.exporters = [
      {
        type: 'out',
        configSchema: z.object({}),
        async create(settings) {
          await settings.host!.get(resourceKey('ClickHouse store'));
          return { start: async () => {}, shutdown: async () => {}, consume: async () => {} };
        },
      },
    ];
    await expect(
      buildService({
        config: service(
          { traces: { receivers: ['in'], exporters: ['out'] } },
          { receivers: { in: {} }, exporters: { out: {} } },
        ),
        factories,
        host: createHost(),
        logger,
      }),
    ).rejects.toThrow('exporters.out: needs the ClickHouse store, which this role does not have');
  });

  it('gives components the host: shared resources opened once, readiness checks they add', async () => {
    const { factories } = recorder();
    const clientKey = resourceKey<{ n: number }>('client');
    let opened = 0;
    let closed = 0;
    const host = createHost({
      providers: [
        {
          key: clientKey,
          open: async () => ({ n: ++opened }),
          close: async () => {
            closed++;
          },
        } as never,
      ],
    });
    const seen: number[] = [];
    factories.exporters = [
      {
        type: 'out',
        configSchema: z.object({}),
        async create(settings) {
          seen.push((await settings.host!.get(clientKey)).n);
          settings.host!.addReadinessCheck(settings.id, async () => {
            throw new Error('no broker');
          });
          return { start: async () => {}, shutdown: async () => {}, consume: async () => {} };
        },
      },
    ];
    await buildService({
      config: service(
        { traces: { receivers: ['in'], exporters: ['out/1', 'out/2'] } },
        { receivers: { in: {} }, exporters: { 'out/1': {}, 'out/2': {} } },
      ),
      factories,
      host,
      logger,
    });
    expect(seen).toEqual([1, 1]);
    await expect(host.ready()).rejects.toThrow('out/1: no broker');
    await expect(host.get(resourceKey('store'))).rejects.toThrow(ConfigError);
    await host.shutdown();
    expect(closed).toBe(1);
  });
});
