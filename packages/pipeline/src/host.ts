import { ConfigError } from './configError.ts';

/** A typed name for something the host shares between components (the store, Kafka clients …). */
export interface ResourceKey<T> {
  readonly name: string;
  /** Never set: carries T, so `host.get(key)` is typed. */
  readonly type?: T;
}

/**
 * A key under which a host offers one shared resource.
 * @example export const storeResource = resourceKey<ClickHouseStore>('clickhouse store');
 */
export function resourceKey<T>(name: string): ResourceKey<T> {
  return { name };
}

/** How the host makes one resource on first use, and closes it at the end. */
export interface ResourceProvider<T> {
  key: ResourceKey<T>;
  open(host: Host): Promise<T>;
  close?(value: T): Promise<void>;
}

/**
 * What every component may ask of the process it runs in (the Collector's `component.Host`):
 * shared resources, and a say in readiness. Components never make these themselves, so a
 * factory is a plain value and one store or Kafka client serves every component of a process.
 */
export interface Host {
  /** The resource, opened on first use; rejects with a ConfigError when this role offers none. */
  get<T>(key: ResourceKey<T>): Promise<T>;
  /** The resource, or undefined when this role offers none (optional dependencies). */
  find<T>(key: ResourceKey<T>): Promise<T | undefined>;
  /** Offers a value a component made (e.g. the MLflow sync queue) to host services built after it. */
  provide<T>(key: ResourceKey<T>, value: T): void;
  /** Adds a check that `/readyz` runs: ready only when every check resolves. */
  addReadinessCheck(name: string, check: () => Promise<void>): void;
  /** Runs every readiness check; rejects with the first failure, named. */
  ready(): Promise<void>;
}

export interface ServiceHost extends Host {
  /** Closes the resources that were opened, the last opened first. */
  shutdown(): Promise<void>;
}

/**
 * The host of a role: resources made lazily from their providers, closed in reverse order.
 * @example const host = createHost({ providers: [storeProvider(config), kafkaProvider(config)] });
 */
export function createHost({
  providers = [],
}: {
  providers?: Array<ResourceProvider<unknown>>;
} = {}): ServiceHost {
  const byName = new Map(providers.map((p) => [p.key.name, p]));
  const opened = new Map<string, Promise<unknown>>();
  const closers: Array<() => Promise<void>> = [];
  const checks: Array<{ name: string; check: () => Promise<void> }> = [];
  const host: ServiceHost = {
    async find<T>(key: ResourceKey<T>): Promise<T | undefined> {
      let value = opened.get(key.name);
      if (!value) {
        const provider = byName.get(key.name);
        if (!provider) return undefined;
        value = provider.open(host).then((made) => {
          if (provider.close) closers.push(() => provider.close!(made));
          return made;
        });
        opened.set(key.name, value);
      }
      return value as Promise<T>;
    },
    async get<T>(key: ResourceKey<T>): Promise<T> {
      if (!byName.has(key.name) && !opened.has(key.name)) {
        throw new ConfigError(`needs the ${key.name}, which this role does not have`);
      }
      return (await host.find(key)) as T;
    },
    provide(key, value) {
      opened.set(key.name, Promise.resolve(value));
    },
    addReadinessCheck(name, check) {
      checks.push({ name, check });
    },
    async ready() {
      await Promise.all(
        checks.map(({ name, check }) =>
          check().catch((error: unknown) => {
            throw new Error(`${name}: ${(error as Error)?.message ?? String(error)}`);
          }),
        ),
      );
    },
    async shutdown() {
      const failures: unknown[] = [];
      for (const close of closers.splice(0).reverse()) {
        await close().catch((error: unknown) => failures.push(error));
      }
      if (failures.length > 0) throw failures[0];
    },
  };
  return host;
}
