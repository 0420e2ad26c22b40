import type { Registry } from 'prom-client';
import { addressInUse } from './addressInUse.ts';
import type { Authenticate } from './caller.ts';
import type { Component, ComponentSettings, Consumer } from './component.ts';
import {
  type BuildableFactory,
  type ComponentFactories,
  type ComponentKind,
  type Signal,
  type SignalConsumers,
  signals,
} from './componentFactories.ts';
import { ConfigError } from './configError.ts';
import type { Logger } from './createLogger.ts';
import type { Host } from './host.ts';
import { type Intake, requestIntake } from './intake.ts';
import { fanout, pipeline } from './pipeline.ts';
import { checkService, pipelineSignal, type ServiceConfig } from './serviceConfig.ts';

export interface BuildServiceOptions {
  config: ServiceConfig;
  factories: ComponentFactories;
  host: Host;
  logger: Logger;
  registry?: Registry | undefined;
  authenticate?: Authenticate | undefined;
  /** `kind.id` of components a role preset defines whether or not a pipeline uses them: no warning. */
  expectedUnused?: readonly string[];
}

/** The built pipelines of a process, started and stopped as one. */
export interface Service extends Component {
  /** Every component instance by `kind.id` (a receiver or exporter shared by pipelines is one). */
  components: ReadonlyMap<string, Component>;
}

type Instance = Component & Partial<Consumer<unknown>>;

const typeOf = (id: string) => id.split('/')[0]!;

/**
 * Builds the pipelines of `config.service.pipelines` from the factories, the Collector's way:
 * exporters first (one instance per id, shared by the pipelines naming it), then each
 * pipeline's processors from the last one, then receivers (one per id, fanning out to every
 * pipeline that names it). `start` starts exporters → processors → receivers; `shutdown` stops
 * receivers' intake first, flushes processors, drains exporters.
 * @example const service = await buildService({ config, factories, host, logger }); await service.start();
 */
export async function buildService({
  config,
  factories,
  host,
  logger,
  registry,
  authenticate,
  expectedUnused = [],
}: BuildServiceOptions): Promise<Service> {
  const { issues, unused } = checkService(config, factories);
  if (issues.length > 0) {
    throw new ConfigError(
      `config is invalid:\n${issues.map((i) => `  - ${i.path.join('.')}: ${i.message}`).join('\n')}`,
    );
  }
  // The role's data path, as its config wires it, in one line per pipeline.
  logger.info(
    {
      pipelines: Object.fromEntries(
        Object.entries(config.service.pipelines).map(([id, p]) => [
          id,
          [p.receivers, p.processors, p.exporters]
            .filter((ids) => ids.length > 0)
            .map((ids) => ids.join(', '))
            .join(' → '),
        ]),
      ),
    },
    'pipelines',
  );
  const quiet = unused.filter((key) => !expectedUnused.includes(key));
  if (quiet.length > 0) logger.warn({ unused: quiet }, 'components configured but in no pipeline');

  const pipelines = Object.entries(config.service.pipelines);
  const factoryOf = (kind: ComponentKind, id: string): BuildableFactory =>
    factories[kind].find((f) => f.type === typeOf(id))!;
  const settings = (
    id: string,
    leader?: string,
    intake?: Intake,
    signals?: readonly Signal[],
  ): ComponentSettings => ({
    id,
    logger: logger.child({ component: id }),
    ...(registry ? { registry } : {}),
    ...(authenticate ? { authenticate } : {}),
    host,
    ...(leader ? { leader } : {}),
    ...(intake ? { intake } : {}),
    ...(signals ? { signals } : {}),
  });
  const components = new Map<string, Component>();
  const ordered = { receivers: [] as Instance[], processors: [] as Instance[], exporters: [] as Instance[] };
  const made: Instance[] = [];
  /** Makes one component; a ConfigError it raises (e.g. a resource the role lacks) names it. */
  const make = async (kind: ComponentKind, id: string, next: unknown, leader?: string, intake?: Intake) => {
    // An exporter learns the signals of the pipelines naming it (a Kafka exporter's topics).
    const signalsOf =
      kind === 'exporters'
        ? [
            ...new Set(
              pipelines
                .filter(([, p]) => p.exporters.includes(id))
                .map(([pid]) => pipelineSignal(pid))
                .filter((s): s is Signal => s !== undefined),
            ),
          ]
        : undefined;
    try {
      return (await factoryOf(kind, id).create(
        settings(id, leader, intake, signalsOf),
        config[kind][id],
        next,
      )) as Instance;
    } catch (error) {
      if (error instanceof ConfigError) throw new ConfigError(`${kind}.${id}: ${error.message}`);
      throw error;
    }
  };
  const create = async (kind: ComponentKind, id: string, next: unknown, leader?: string) => {
    const instance = await make(kind, id, next, leader);
    made.push(instance);
    components.set(`${kind}.${id}`, instance);
    ordered[kind].push(instance);
    return instance;
  };

  try {
    // An exporter that follows another type gets batches only after it, in every pipeline.
    const leaders = new Map<string, string | undefined>();
    for (const [pipelineId, p] of pipelines) {
      for (const id of p.exporters) {
        const follows = factoryOf('exporters', id).follows ?? [];
        const leader = p.exporters.find((other) => other !== id && follows.includes(typeOf(other)));
        if (leaders.has(id) && leaders.get(id) !== leader) {
          throw new ConfigError(
            `service.pipelines.${pipelineId}.exporters: "${id}" follows ${leaders.get(id) ?? 'nothing'} in another pipeline but ${leader ?? 'nothing'} here; give it a separate id (${typeOf(id)}/<name>) per pipeline`,
          );
        }
        leaders.set(id, leader);
      }
    }
    const exporters = new Map<string, Instance>();
    for (const [id, leader] of leaders) exporters.set(id, await create('exporters', id, undefined, leader));

    const entries = new Map<string, Consumer<unknown>>();
    for (const [pipelineId, p] of pipelines) {
      const first = p.exporters.filter((id) => leaders.get(id) === undefined);
      const followers = p.exporters.filter((id) => leaders.get(id) !== undefined);
      const lead = fanout(first.map((id) => exporters.get(id) as Consumer<unknown>));
      const then = fanout(followers.map((id) => exporters.get(id) as Consumer<unknown>));
      let next: Consumer<unknown> =
        followers.length === 0
          ? lead
          : {
              async consume(data) {
                await lead.consume(data);
                await then.consume(data);
              },
            };
      const chain: Instance[] = [];
      // The requests this pipeline holds, so its batch can send as soon as all of them arrived.
      const intake = requestIntake();
      for (const id of [...p.processors].reverse()) {
        const processor = await make('processors', id, next, undefined, intake);
        made.push(processor);
        chain.unshift(processor);
        // Processors are made per pipeline (as in the Collector); the key names the pipeline.
        components.set(`processors.${id}${pipelines.length > 1 ? `@${pipelineId}` : ''}`, processor);
        next = processor as Consumer<unknown>;
      }
      ordered.processors.push(...chain);
      entries.set(pipelineId, intake.entry(next));
    }
    const receiverIds = [...new Set(pipelines.flatMap(([, p]) => p.receivers))];
    for (const id of receiverIds) {
      const naming = pipelines.filter(([, p]) => p.receivers.includes(id)).map(([pid]) => pid);
      if (factoryOf('receivers', id).perSignal) {
        const bySignal: SignalConsumers = {};
        for (const signal of signals) {
          const targets = naming
            .filter((pid) => pipelineSignal(pid) === signal)
            .map((pid) => entries.get(pid)!);
          if (targets.length > 0) bySignal[signal] = fanout(targets);
        }
        await create('receivers', id, bySignal);
      } else {
        await create('receivers', id, fanout(naming.map((pid) => entries.get(pid)!)));
      }
    }
  } catch (error) {
    await Promise.all(made.map((c) => c.shutdown().catch(() => undefined)));
    throw error;
  }

  // The runtime sees each component through its own start, so a port clash names the config
  // key to change (`receivers.otlp.grpc.endpoint 0.0.0.0:4317 is in use …`), not a raw stack.
  const sections = config as unknown as Record<ComponentKind, Record<string, unknown>>;
  const keyed = new Map([...components].map(([key, c]) => [c, key]));
  const named = (component: Instance): Instance => {
    const key = keyed.get(component) ?? '';
    const kind = key.slice(0, key.indexOf('.')) as ComponentKind;
    const id = key.slice(key.indexOf('.') + 1).split('@')[0]!;
    return {
      async start() {
        try {
          await component.start();
        } catch (error) {
          throw addressInUse(error, `${kind}.${id}`, sections[kind]?.[id]) ?? error;
        }
      },
      shutdown: () => component.shutdown(),
      consume: (data: unknown) => component.consume!(data),
    };
  };
  const runtime = pipeline({
    receivers: ordered.receivers.map(named),
    processors: ordered.processors.map(named) as Array<Component & Consumer<unknown>>,
    exporters: ordered.exporters.map(named) as Array<Component & Consumer<unknown>>,
  });
  return { components, start: () => runtime.start(), shutdown: () => runtime.shutdown() };
}
