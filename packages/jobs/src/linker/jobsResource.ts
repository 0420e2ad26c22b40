import { resourceKey } from '@llmp/pipeline';
import type { JobStore } from '../repository/jobStore.ts';

/** The host's job store (publishing job events where the role has Kafka). */
export const jobsResource = resourceKey<JobStore>('job store');
