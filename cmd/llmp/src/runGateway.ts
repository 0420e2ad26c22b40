import type { Logger } from '@llmp/pipeline';
import { kafkaProvider } from './kafkaProvider.ts';
import type { GatewayConfig } from './roleConfigs.ts';
import { type Running, runRole } from './runRole.ts';

/**
 * `llmp gateway`: the pipelines of `deploy/config/gateway.yaml` (by default OTLP → `otlp_spans`).
 * A sender is answered only once Kafka acknowledged its spans.
 * @example const running = await runGateway(config, { logger });
 */
export function runGateway(config: GatewayConfig, { logger }: { logger: Logger }): Promise<Running> {
  return runRole({
    config,
    logger,
    providers: () => [kafkaProvider(config.kafka, logger)],
    telemetry: config.telemetry,
  });
}
