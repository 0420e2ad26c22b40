import type { Component, Consumer } from './component.ts';
import { onceShutdown } from './onceShutdown.ts';

export interface PipelineParts<T> {
  receivers: Component[];
  processors: Array<Component & Consumer<T>>;
  exporters: Array<Component & Consumer<T>>;
}

export interface Pipeline extends Component {}

/**
 * Runs already-wired components in the Collector's order: exporters start first and
 * receivers last, so nothing is accepted before its destination is ready; shutdown stops
 * receivers' intake first, flushes processors, then drains exporters.
 * @example const p = pipeline({ receivers: [otlp], processors: [batch], exporters: [clickhouse] }); await p.start();
 */
export function pipeline<T>(parts: PipelineParts<T>): Pipeline {
  const startOrder: Component[] = [
    ...parts.exporters,
    ...[...parts.processors].reverse(),
    ...parts.receivers,
  ];
  const started: Component[] = [];
  return {
    async start() {
      for (const component of startOrder) {
        try {
          await component.start();
        } catch (error) {
          // Leave nothing half-started behind: the failed component may hold some of its
          // resources (one of two listeners), so it is shut down too, then what did start.
          for (const s of [component, ...[...started].reverse()]) await s.shutdown().catch(() => undefined);
          throw error;
        }
        started.push(component);
      }
    },
    shutdown: onceShutdown(async () => {
      // Receivers stop accepting at once, but their in-flight requests are answered only when
      // their spans are stored, so processors flush while receivers drain (not after them,
      // which would wait forever); exporters stop last, once nothing can reach them.
      // A component that fails to stop does not keep the others from stopping (nor does its
      // rejection go unhandled while processors flush); the first failure is reported at the end.
      const failures: unknown[] = [];
      const stop = (component: Component) =>
        component.shutdown().catch((error: unknown) => {
          failures.push(error);
        });
      const receiversDrained = Promise.all(parts.receivers.map(stop));
      for (const processor of parts.processors) await stop(processor);
      await receiversDrained;
      for (const exporter of parts.exporters) await stop(exporter);
      if (failures.length > 0) throw failures[0];
    }),
  };
}

/**
 * Sends each item to several consumers and resolves when all of them accepted it.
 * @example const next = fanout([clickhouse, mlflow]);
 */
export function fanout<T>(consumers: Array<Consumer<T>>): Consumer<T> {
  if (consumers.length === 1) return consumers[0]!;
  return {
    async consume(data) {
      await Promise.all(consumers.map((c) => c.consume(data)));
    },
  };
}
