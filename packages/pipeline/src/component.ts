import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { z } from 'zod';
import type { Authenticate } from './caller.ts';
import type { Consumer } from './consumer.ts';
import type { Host } from './host.ts';
import type { Intake } from './intake.ts';
import type { Signal } from './signal.ts';

// Consumer has its own file: intake.ts needs it too, and importing it from here made a cycle.
export type { Consumer } from './consumer.ts';

/** Everything a component gets from the runtime besides its config: no module-level singletons. */
export interface ComponentSettings {
  /** `type/name`, e.g. `otlp` or `batch/traces`. */
  id: string;
  logger: Logger;
  /** Where the component registers its self-metrics (each component declares its own beside it, see metricSet); a private one if absent. */
  registry?: Registry;
  /** Checks API keys on intake (receivers); open access when absent. */
  authenticate?: Authenticate;
  /** Shared resources (store, Kafka clients) and readiness checks; absent in unit tests. */
  host?: Host;
  /** Exporters that follow another (BuildableFactory.follows): the id of the one they follow. */
  leader?: string;
  /** Processors: the requests their pipeline holds (see requestIntake); absent in unit tests. */
  intake?: Intake;
  /**
   * Exporters: the signals of the pipelines naming it (one instance serves them all), so it
   * prepares only what those need (the Kafka exporter's topics); absent in unit tests.
   */
  signals?: readonly Signal[];
}

/** Start returns quickly; shutdown is idempotent, safe without start, stops intake and flushes. */
export interface Component {
  start(): Promise<void>;
  shutdown(): Promise<void>;
}

export interface Factory<Config, Next, Made extends Component> {
  /** Type name used in config, e.g. `otlp`, `batch`, `clickhouse`. */
  type: string;
  /** zod schema that sets every default: `configSchema.parse({})` is the default config. */
  configSchema: z.ZodType<Config>;
  create(settings: ComponentSettings, config: Config, next: Next): Made;
}

export type ReceiverFactory<Config, T> = Factory<Config, Consumer<T>, Component>;
export type ProcessorFactory<Config, T> = Factory<Config, Consumer<T>, Component & Consumer<T>>;
export type ExporterFactory<Config, T> = Factory<Config, undefined, Component & Consumer<T>>;
