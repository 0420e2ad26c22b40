import type { BuildableFactory } from './componentFactories.ts';

/** What the service builder and config validation read from a factory before it is used. */
export type FactoryDescriptor = Omit<BuildableFactory, 'create'>;

/**
 * A factory whose code is imported only when a pipeline creates the component: its type, config
 * schema and signals are at hand for config validation, its implementation (and what that
 * imports: a store client, a gRPC server) is loaded on first `create`. A role lists every
 * component; a process holds the code of the ones its pipelines use (issue 21, item 1: RSS).
 * @example export const clickhouseExporterFactory = lazyFactory({ type: 'clickhouse', configSchema }, async () => (await import('./hostedClickhouseExporter.ts')).hostedClickhouseExporter);
 */
export function lazyFactory(
  descriptor: FactoryDescriptor,
  load: () => Promise<BuildableFactory>,
): BuildableFactory {
  let loading: Promise<BuildableFactory> | undefined;
  return {
    ...descriptor,
    async create(settings, config, next) {
      loading ??= load();
      return (await loading).create(settings, config, next);
    },
  };
}
