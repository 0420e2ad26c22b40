export { exportTraces } from './exportTraces.ts';
export { traceService, traceServiceDefinition } from './grpcTraceService.ts';
export { BodyError, inflateBody } from './inflateBody.ts';
export { otlpHttpApp } from './otlpHttpApp.ts';
export { closeHttpServer, type OtlpReceiver, otlpReceiverFactory } from './otlpReceiver.ts';
export { type OtlpReceiverConfig, otlpReceiverConfig } from './otlpReceiverConfig.ts';
