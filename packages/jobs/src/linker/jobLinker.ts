import type { KeyValue, TraceBatch } from '@llmp/otlp';
import {
  type Component,
  type Consumer,
  onceShutdown,
  type ProcessorFactory,
  toExportError,
} from '@llmp/pipeline';
import type { SpanJobRef } from '../repository/storeResult.ts';
import type { JobModels } from '../service/jobModels.ts';
import type { JobStatus } from '../service/jobSchema.ts';
import { schemaValidator } from '../service/schemaValidator.ts';
import { spanValidation } from '../service/spanValidation.ts';
import { validationScripts } from '../service/validationScript.ts';
import { type JobLinkerConfig, jobLinkerConfig } from './jobLinkerConfig.ts';
import { jobLinkerMetrics } from './jobLinkerMetrics.ts';

export type { JobModels } from '../service/jobModels.ts';
export { type JobLinkerConfig, jobLinkerConfig } from './jobLinkerConfig.ts';

/** Where the linker learns a job's status, registering unknown jobs as discovered. */
export interface JobDirectory {
  discover(projectId: string, refs: SpanJobRef[]): Promise<Map<string, JobStatus>>;
  /** The input and output models of a job version (latest when none); undefined when unknown. */
  models?(projectId: string, id: string, version?: number): Promise<JobModels | undefined>;
}

/** Set on a span reported into a job that was not active when it arrived: the job's status then. */
export const inactiveJobAttribute = 'llmp.job.status';

interface Linked {
  attributes: KeyValue[];
  id: string;
  version: string | undefined;
}

const canonical = { id: 'llmp.job.id', version: 'llmp.job.version', type: 'llmp.job.type' } as const;

function textOf(value: KeyValue['value']): string | undefined {
  if (value.type === 'string') return value.value === '' ? undefined : value.value;
  if (value.type === 'int' || value.type === 'double' || value.type === 'bool') return String(value.value);
  return undefined;
}

/** The last value under `key` in one list that has a text, and that text. */
function lastText(list: KeyValue[], key: string): string | undefined {
  for (let i = list.length - 1; i >= 0; i--) {
    const kv = list[i]!;
    const text = kv.key === key ? textOf(kv.value) : undefined;
    if (text !== undefined) return text;
  }
  return undefined;
}

/**
 * The first value under one of `keys`, on the span, then scope, then resource (last duplicate
 * wins). Indexed loops and no array of the three lists: this runs for every span.
 */
function find(
  span: KeyValue[],
  scope: KeyValue[],
  resource: KeyValue[],
  keys: string[],
): { text: string; key: string; onSpan: boolean } | undefined {
  for (let level = 0; level < 3; level++) {
    const list = level === 0 ? span : level === 1 ? scope : resource;
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k]!;
      const text = lastText(list, key);
      if (text !== undefined) return { text, key, onSpan: level === 0 };
    }
  }
  return undefined;
}

/**
 * The `jobs` processor: finds the job each span reports into (`llmp.job.*` or configured
 * aliases, on span, scope or resource), writes alias values under the `llmp.job.*` keys, has
 * unknown jobs registered as discovered, and flags spans that arrive for a paused, completed or
 * terminated job (stored all the same). Trace-wide linking happens in ClickHouse (trace_jobs).
 * @example const linker = jobLinkerFactory(jobStore(store)).create(settings, jobLinkerConfig.parse({}), exporter);
 */
export function jobLinkerFactory(directory: JobDirectory): ProcessorFactory<JobLinkerConfig, TraceBatch> {
  return {
    type: 'jobs',
    configSchema: jobLinkerConfig,
    create(settings, config, next: Consumer<TraceBatch>): Component & Consumer<TraceBatch> {
      const keys = {
        id: [canonical.id, ...config.aliases.id],
        version: [canonical.version, ...config.aliases.version],
        type: [canonical.type, ...config.aliases.type],
      };
      const cache = new Map<string, { status: JobStatus; until: number }>();
      const models = new Map<string, { model: JobModels | undefined; until: number }>();
      const scripts = validationScripts({
        timeoutMs: config.validationScript.timeout,
        memoryLimitBytes: config.validationScript.memoryLimit,
        maxScripts: config.validationScript.maxScripts,
      });
      const scriptRuns = jobLinkerMetrics(settings.registry).validationScriptRuns;
      const checks = spanValidation({
        schemas: schemaValidator(),
        scripts,
        batchBudgetMs: config.validationScript.batchBudget,
        onScriptRun: (outcome) => scriptRuns.inc({ outcome }),
      });

      async function modelsOf(projectId: string, id: string, version: string | undefined) {
        if (!directory.models) return undefined;
        const number = version !== undefined && /^\d{1,9}$/.test(version) ? Number(version) : undefined;
        const key = `${projectId}\n${id}\n${number ?? ''}`;
        const now = Date.now();
        const hit = models.get(key);
        if (hit && hit.until > now) return hit.model;
        const model = await directory.models(projectId, id, number || undefined);
        models.delete(key);
        models.set(key, { model, until: now + config.statusCacheTtl });
        for (const old of models.keys()) {
          if (models.size <= config.maxCachedJobs) break;
          models.delete(old);
        }
        return model;
      }

      async function statuses(projectId: string, refs: Map<string, string>): Promise<Map<string, JobStatus>> {
        const now = Date.now();
        const known = new Map<string, JobStatus>();
        const missing: SpanJobRef[] = [];
        for (const [id, type] of refs) {
          const hit = cache.get(`${projectId}\n${id}`);
          if (hit && hit.until > now) known.set(id, hit.status);
          else missing.push({ id, type });
        }
        if (missing.length === 0) return known;
        const found = await directory.discover(projectId, missing);
        for (const [id, status] of found) {
          known.set(id, status);
          const key = `${projectId}\n${id}`;
          cache.delete(key);
          cache.set(key, { status, until: now + config.statusCacheTtl });
        }
        // Oldest entries first in a Map: drop them once the bound is passed.
        for (const key of cache.keys()) {
          if (cache.size <= config.maxCachedJobs) break;
          cache.delete(key);
        }
        return known;
      }

      /** Puts the input and output checks of each linked span that has them on the span. */
      async function validate(projectId: string, linked: Linked[]): Promise<void> {
        const batch = checks.batch();
        for (const span of linked) {
          const texts = checks.texts(span.attributes);
          const model = texts && (await modelsOf(projectId, span.id, span.version));
          if (texts && model) await batch.check(span.attributes, texts, model);
        }
      }

      return {
        async start() {},
        async consume(batch) {
          // The decoded request is changed in place: it is what the exporter reads next (the
          // batch keeps it), and a batch from Kafka keeps its deduplication token this way.
          const request = batch.request();
          const linked: Linked[] = [];
          const refs = new Map<string, string>();
          for (const rs of request.resourceSpans) {
            for (const ss of rs.scopeSpans) {
              for (const span of ss.spans) {
                const scopeAttributes = ss.scope.attributes;
                const resourceAttributes = rs.resource.attributes;
                const id = find(span.attributes, scopeAttributes, resourceAttributes, keys.id);
                if (!id) continue;
                const levels = [span.attributes, scopeAttributes, resourceAttributes] as const;
                const version = find(...levels, keys.version);
                for (const [field, found] of [
                  ['id', id],
                  ['version', version],
                  ['type', find(...levels, keys.type)],
                ] as const) {
                  if (found && found.key !== canonical[field]) {
                    span.attributes.push({
                      key: canonical[field],
                      value: { type: 'string', value: found.text },
                    });
                  }
                }
                linked.push({ attributes: span.attributes, id: id.text, version: version?.text });
                if (!refs.has(id.text)) refs.set(id.text, find(...levels, keys.type)?.text ?? '');
              }
            }
          }
          if (refs.size > 0) {
            let known: Map<string, JobStatus>;
            try {
              known = await statuses(batch.projectId, refs);
              if (config.validateOutputs) await validate(batch.projectId, linked);
            } catch (error) {
              const e = toExportError(error);
              settings.logger.warn({ err: e, jobs: refs.size }, 'job lookup failed');
              throw e;
            }
            for (const { attributes, id } of linked) {
              const status = known.get(id);
              if (status && status !== 'active') {
                attributes.push({ key: inactiveJobAttribute, value: { type: 'string', value: status } });
              }
            }
          }
          await next.consume(batch);
        },
        // Holds nothing, so it keeps passing batches on while receivers drain at shutdown;
        // the exporter after it is what refuses data once the pipeline has stopped.
        shutdown: onceShutdown(async () => scripts.dispose()),
      };
    },
  };
}
