import { z } from 'zod';
import {
  type ComponentFactories,
  type ComponentKind,
  kindNoun,
  type Signal,
  signals,
} from './componentFactories.ts';
import { parseComponentId } from './componentId.ts';

/** One pipeline: receivers fan out to the processors in order, which fan in to every exporter. */
export interface PipelineConfig {
  receivers: string[];
  processors: string[];
  exporters: string[];
}

/** What `buildService` reads of a config: the component sections and `service.pipelines`. */
export interface ServiceConfig {
  receivers: Record<string, unknown>;
  processors: Record<string, unknown>;
  exporters: Record<string, unknown>;
  service: { pipelines: Record<string, PipelineConfig> };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * A `receivers`, `processors` or `exporters` section: ids (`type[/name]`) mapped to configs, each
 * validated by the schema of its type's factory, so a component owns its schema. `presets` are
 * the role's components: present even when the file leaves them out, and their values are the
 * defaults under what the file sets (top-level keys).
 * @example z.object({ receivers: componentsSection('receivers', factories, { otlp: {} }) })
 */
export function componentsSection(
  kind: ComponentKind,
  factories: ComponentFactories,
  presets: Record<string, Record<string, unknown>> = {},
) {
  const byType = new Map(factories[kind].map((f) => [f.type, f]));
  const known = [...byType.keys()].join(', ');
  return z
    .record(z.string(), z.unknown())
    .optional()
    .transform((input, ctx) => {
      const out: Record<string, unknown> = {};
      const ids = new Set([...Object.keys(presets), ...Object.keys(input ?? {})]);
      for (const id of ids) {
        const value = input?.[id];
        const parsed = parseComponentId(id);
        if (!parsed) {
          ctx.addIssue({
            code: 'custom',
            path: [id],
            message: `"${id}" is not a component id (type or type/name)`,
          });
          continue;
        }
        const factory = byType.get(parsed.type);
        if (!factory) {
          ctx.addIssue({
            code: 'custom',
            path: [id],
            message: `unknown ${kindNoun[kind]} type "${parsed.type}" (known: ${known})`,
          });
          continue;
        }
        if (value !== undefined && value !== null && !isObject(value)) {
          ctx.addIssue({ code: 'custom', path: [id], message: 'must be a mapping of settings' });
          continue;
        }
        // YAML `otlp:` with nothing after it means "all defaults", as in the Collector.
        const result = factory.configSchema.safeParse({ ...presets[id], ...(value ?? {}) });
        if (!result.success) {
          for (const issue of result.error.issues) {
            ctx.addIssue({ code: 'custom', path: [id, ...issue.path], message: issue.message });
          }
          continue;
        }
        out[id] = result.data;
      }
      return out;
    });
}

const idList = z.array(z.string()).default([]);

/** `service.pipelines`: pipeline id (`traces`, `traces/name` …) → its component ids. */
export const pipelinesSection = z.record(
  z.string(),
  z.object({ receivers: idList, processors: idList, exporters: idList }),
);

export interface ServiceIssue {
  path: string[];
  message: string;
}

/** The signal of a pipeline id (`traces/fast` → traces), undefined when it names none. */
export function pipelineSignal(id: string): Signal | undefined {
  const parsed = parseComponentId(id);
  return parsed && (signals as readonly string[]).includes(parsed.type) ? (parsed.type as Signal) : undefined;
}

/**
 * What makes a service unbuildable, each with the config key to change: an unknown pipeline
 * signal, a pipeline without receiver or exporter, an id no section configures, a component
 * that does not handle the pipeline's signal, an id twice in one list. Also the components no
 * pipeline uses (a warning, not an error).
 * @example const { issues, unused } = checkService(config, factories);
 */
export function checkService(
  config: ServiceConfig,
  factories: ComponentFactories,
): { issues: ServiceIssue[]; unused: string[] } {
  const issues: ServiceIssue[] = [];
  const used = { receivers: new Set<string>(), processors: new Set<string>(), exporters: new Set<string>() };
  for (const [pipelineId, pipeline] of Object.entries(config.service.pipelines)) {
    const at = ['service', 'pipelines', pipelineId];
    const signal = pipelineSignal(pipelineId);
    if (!signal) {
      issues.push({
        path: at,
        message: `"${pipelineId}" is not a pipeline id: use ${signals.join(', ')}, optionally with /name`,
      });
      continue;
    }
    for (const kind of ['receivers', 'processors', 'exporters'] as const) {
      const ids = pipeline[kind];
      if (kind !== 'processors' && ids.length === 0) {
        issues.push({ path: [...at, kind], message: `a pipeline needs at least one ${kindNoun[kind]}` });
      }
      const seen = new Set<string>();
      for (const id of ids) {
        if (seen.has(id)) issues.push({ path: [...at, kind], message: `"${id}" is listed twice` });
        seen.add(id);
        used[kind].add(id);
        if (!(id in config[kind])) {
          const configured = Object.keys(config[kind]);
          issues.push({
            path: [...at, kind],
            message: `"${id}" is not configured under ${kind} (configured: ${configured.length ? configured.join(', ') : 'none'})`,
          });
          continue;
        }
        const type = parseComponentId(id)?.type;
        const factory = factories[kind].find((f) => f.type === type);
        if (factory && !(factory.signals ?? ['traces']).includes(signal)) {
          issues.push({
            path: [...at, kind],
            message: `${kindNoun[kind]} "${id}" does not handle ${signal}`,
          });
        }
      }
    }
  }
  const unused = (['receivers', 'processors', 'exporters'] as const).flatMap((kind) =>
    Object.keys(config[kind])
      .filter((id) => !used[kind].has(id))
      .map((id) => `${kind}.${id}`),
  );
  return { issues, unused };
}
