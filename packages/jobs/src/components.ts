// The jobs package as a role's config and pipeline builder see it, without the job store, the
// JSON Schema validator or the QuickJS sandbox: those load when a pipeline creates the processor
// (`@llmp/jobs/components`; issue 21, item 1).
import { lazyFactory } from '@llmp/pipeline';
import { jobLinkerConfig } from './linker/jobLinkerConfig.ts';

export { type JobLinkerConfig, jobLinkerConfig } from './linker/jobLinkerConfig.ts';
export { jobLinkerMetrics } from './linker/jobLinkerMetrics.ts';
export { jobsResource } from './linker/jobsResource.ts';

/**
 * The `jobs` processor (hostedJobLinker), its code loaded on first create.
 * @example buildService({ config, factories: { …, processors: [jobLinkerProcessor] }, host, logger })
 */
export const jobLinkerProcessor = lazyFactory(
  { type: 'jobs', configSchema: jobLinkerConfig },
  async () => (await import('./linker/hostedJobLinker.ts')).hostedJobLinker,
);
