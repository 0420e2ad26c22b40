export { exportTraces } from './exportTraces.ts';
export { traceService, traceServiceDefinition } from './grpcTraceService.ts';
export { type InFlightLimit, type InFlightTicket, inFlightLimit } from './inFlightLimit.ts';
export { BodyError, inflateBody } from './inflateBody.ts';
export { otlpHttpApp } from './otlpHttpApp.ts';
export { closeHttpServer, type OtlpReceiver, otlpReceiverFactory } from './otlpReceiver.ts';
export { type OtlpReceiverConfig, otlpReceiverConfig } from './otlpReceiverConfig.ts';
export { otlpReceiverMetrics } from './otlpReceiverMetrics.ts';
export { type ReceiverObserver, type RefusalReason, receiverObserver } from './receiverObserver.ts';
