import { hostedFactory } from '@llmp/pipeline';
import { jobLinkerConfig, jobLinkerFactory } from './jobLinker.ts';
import { jobsResource } from './jobsResource.ts';

export { jobsResource };

/**
 * The `jobs` processor as a plain factory: links spans to jobs in the host's job store.
 * @example buildService({ config, factories: { …, processors: [hostedJobLinker] }, host, logger })
 */
export const hostedJobLinker = hostedFactory('jobs', jobLinkerConfig, async (settings, config, next) =>
  jobLinkerFactory(await settings.host.get(jobsResource)).create(settings, config, next),
);
