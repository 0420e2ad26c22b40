import {
  type ComponentKind,
  checkService,
  componentsSection,
  type PipelineConfig,
  pipelinesSection,
} from '@llmp/pipeline';
import { z } from 'zod';
import { components } from './components.ts';

/**
 * A role's `receivers`, `processors` or `exporters` section: any id of a known type, each checked
 * by its factory's schema; the role's preset ids are always there (their values are defaults).
 * `Known` types the preset ids for the role's code.
 * @example receivers: section<{ otlp: OtlpReceiverConfig }>('receivers', { otlp: {} })
 */
export function section<Known extends object>(
  kind: ComponentKind,
  presets: Record<string, Record<string, unknown>> = {},
) {
  return componentsSection(kind, components, presets) as unknown as z.ZodType<
    Known & Record<string, unknown>,
    Record<string, unknown> | undefined
  >;
}

/** `service`: the pipelines; left out, the role's default pipelines apply. */
export const serviceSection = z.object({ pipelines: pipelinesSection.optional() }).prefault({});

type WithService = {
  receivers: Record<string, unknown>;
  processors: Record<string, unknown>;
  exporters: Record<string, unknown>;
  service: { pipelines?: Record<string, PipelineConfig> | undefined };
};

export type Piped<C> = Omit<C, 'service'> & { service: { pipelines: Record<string, PipelineConfig> } };

/**
 * Fills `service.pipelines` with the role's default when the file has none (so a config written
 * before pipelines existed still starts), then checks the pipelines against the components.
 * @example z.object({ … }).transform(withPipelines(() => ({ traces: { receivers: ['otlp'], … } })))
 */
export function withPipelines<C extends WithService>(
  defaults: (config: C) => Record<string, PipelineConfig>,
) {
  return (config: C, ctx: z.RefinementCtx): Piped<C> => {
    const full = {
      ...config,
      service: { ...config.service, pipelines: config.service.pipelines ?? defaults(config) },
    };
    for (const issue of checkService(full, components).issues) {
      ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
    }
    return full;
  };
}

/** A pipeline of the given ids. */
export const traces = (
  receivers: string[],
  processors: string[],
  exporters: string[],
): Record<string, PipelineConfig> => ({ traces: { receivers, processors, exporters } });

/** A logs pipeline of the given ids (no processors: log records go to the store as received). */
export const logs = (receivers: string[], exporters: string[]): Record<string, PipelineConfig> => ({
  logs: { receivers, processors: [], exporters },
});

/** A metrics pipeline of the given ids (no processors: data points go to the store as received). */
export const metrics = (receivers: string[], exporters: string[]): Record<string, PipelineConfig> => ({
  metrics: { receivers, processors: [], exporters },
});
