// The OTLP receiver as a role's config and pipeline builder see it: the gRPC and HTTP servers
// load when a pipeline creates it, so the ingester and the query API never hold them
// (`@llmp/receiver-otlp/components`; issue 21, item 1).
import { type BuildableFactory, lazyFactory } from '@llmp/pipeline';
import { otlpReceiverConfig } from './otlpReceiverConfig.ts';

export { type OtlpReceiverConfig, otlpReceiverConfig } from './otlpReceiverConfig.ts';
export { otlpReceiverMetrics } from './otlpReceiverMetrics.ts';

/**
 * The `otlp` receiver (otlpReceiverFactory), its code loaded on first create.
 * @example buildService({ config, factories: { receivers: [otlpReceiverComponent], … }, host, logger })
 */
export const otlpReceiverComponent = lazyFactory(
  {
    type: 'otlp',
    configSchema: otlpReceiverConfig,
    signals: ['traces', 'logs', 'metrics'],
    perSignal: true,
  },
  async () => (await import('./otlpReceiver.ts')).otlpReceiverFactory as BuildableFactory,
);
