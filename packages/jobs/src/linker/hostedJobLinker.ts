import { hostedFactory, resourceKey } from '@llmp/pipeline';
import type { JobStore } from '../repository/jobStore.ts';
import { jobLinkerConfig, jobLinkerFactory } from './jobLinker.ts';

/** The host's job store (publishing job events where the role has Kafka). */
export const jobsResource = resourceKey<JobStore>('job store');

/**
 * The `jobs` processor as a plain factory: links spans to jobs in the host's job store.
 * @example buildService({ config, factories: { …, processors: [hostedJobLinker] }, host, logger })
 */
export const hostedJobLinker = hostedFactory('jobs', jobLinkerConfig, async (settings, config, next) =>
  jobLinkerFactory(await settings.host.get(jobsResource)).create(settings, config, next),
);
