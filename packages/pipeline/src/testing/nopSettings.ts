import { Registry } from 'prom-client';
import type { ComponentSettings } from '../component.ts';
import { createLogger } from '../createLogger.ts';
import { createHost, type ServiceHost } from '../host.ts';

/**
 * Settings for a component under unit test: a silent logger and a private metrics registry.
 * @example const processor = batchProcessorFactory.create(nopSettings('batch'), config, sink);
 */
export function nopSettings(
  id = 'test',
  overrides: Partial<ComponentSettings> = {},
): ComponentSettings & { registry: Registry } {
  return { id, logger: createLogger({ level: 'silent' }), registry: new Registry(), ...overrides };
}

/**
 * A host that offers no resources and has no readiness checks until a component adds one.
 * @example const settings = nopSettings('kafka', { host: nopHost() });
 */
export function nopHost(): ServiceHost {
  return createHost();
}
