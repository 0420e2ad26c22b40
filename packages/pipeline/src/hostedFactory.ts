import type { z } from 'zod';
import type { Component, ComponentSettings, Consumer } from './component.ts';
import type { BuildableFactory } from './componentFactories.ts';
import type { Host } from './host.ts';

/**
 * A factory that takes what it needs (store, Kafka clients …) from the host it is built in, so
 * it is a plain value looked up by its type; `create` may wait for the host's resources.
 * @example export const hostedJobLinker = hostedFactory('jobs', jobLinkerConfig, async (s, c, next) => jobLinkerFactory(await s.host.get(jobsResource)).create(s, c, next));
 */
export function hostedFactory<Config, T = unknown>(
  type: string,
  configSchema: z.ZodType<Config>,
  create: (
    settings: ComponentSettings & { host: Host },
    config: Config,
    next: Consumer<T>,
  ) => Promise<Component>,
  extra: Pick<BuildableFactory, 'follows' | 'signals' | 'perSignal'> = {},
): BuildableFactory {
  return {
    type,
    configSchema: configSchema as z.ZodType<unknown>,
    ...extra,
    create(settings, config, next) {
      if (!settings.host) throw new Error(`${type}: built without a host (use buildService)`);
      return create(settings as ComponentSettings & { host: Host }, config as Config, next as Consumer<T>);
    },
  };
}
