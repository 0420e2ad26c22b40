import type { z } from 'zod';
import type { Component, ComponentSettings, Consumer } from './component.ts';
import type { Signal } from './signal.ts';

// Signal has its own file: component.ts needs it too, and importing it from here made a cycle.
export { type Signal, signals } from './signal.ts';

/**
 * A factory as the service builder sees it: a plain value looked up by its type. `create` may
 * be async (a Kafka receiver asks the host for a connected consumer first).
 */
export interface BuildableFactory {
  type: string;
  configSchema: z.ZodType<unknown>;
  create(settings: ComponentSettings, config: unknown, next: unknown): Component | Promise<Component>;
  /** Signals it handles; `['traces']` when absent. */
  signals?: readonly Signal[];
  /**
   * Receivers only: `create` gets a SignalConsumers (the pipelines naming it, by signal) rather
   * than one consumer, so one listener serves several signals (the Collector's shared otlp receiver).
   */
  perSignal?: boolean;
  /**
   * Exporters only: types of exporters this one follows. In a pipeline that also has one of
   * them, it gets a batch only once they all accepted it (MLflow uploads what ClickHouse stored).
   */
  follows?: readonly string[];
}

/** What a `perSignal` receiver feeds: per signal, every pipeline of that signal naming it. */
export type SignalConsumers = Partial<Record<Signal, Consumer<unknown>>>;

/** Every factory a binary knows, listed once (in `cmd/`). */
export interface ComponentFactories {
  receivers: readonly BuildableFactory[];
  processors: readonly BuildableFactory[];
  exporters: readonly BuildableFactory[];
}

export type ComponentKind = keyof ComponentFactories;

/** The singular noun of a kind, for messages. */
export const kindNoun: Record<ComponentKind, string> = {
  receivers: 'receiver',
  processors: 'processor',
  exporters: 'exporter',
};
