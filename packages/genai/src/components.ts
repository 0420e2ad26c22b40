// The genai package as a role's config and pipeline builder see it: the normalisation rules
// load when a pipeline creates the processor (`@llmp/genai/components`; issue 21, item 1).
import { type BuildableFactory, lazyFactory } from '@llmp/pipeline';
import { genAiProcessorConfig } from './genAiProcessorConfig.ts';

export { type GenAiProcessorConfig, genAiProcessorConfig } from './genAiProcessorConfig.ts';

/**
 * The `genai` processor (genAiProcessorFactory), its code loaded on first create.
 * @example buildService({ config, factories: { …, processors: [genAiProcessor] }, host, logger })
 */
export const genAiProcessor = lazyFactory(
  { type: 'genai', configSchema: genAiProcessorConfig },
  async () => (await import('./genAiProcessor.ts')).genAiProcessorFactory as BuildableFactory,
);
