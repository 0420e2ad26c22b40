// prom-client's metric types, so components declare their metrics without depending on it themselves.
export { Counter, Gauge, Histogram, Registry } from 'prom-client';
export { addressInUse } from './addressInUse.ts';
export { type BuildServiceOptions, buildService, type Service } from './buildService.ts';
export {
  type Authenticate,
  type AuthOutcome,
  type Caller,
  credentialOf,
  openAccess,
  type Role,
} from './caller.ts';
export { clientCertificatePair } from './clientCertificatePair.ts';
export { closeHttpServer } from './closeHttpServer.ts';
export type {
  Component,
  ComponentSettings,
  Consumer,
  ExporterFactory,
  Factory,
  ProcessorFactory,
  ReceiverFactory,
} from './component.ts';
export {
  type BuildableFactory,
  type ComponentFactories,
  type ComponentKind,
  type Signal,
  type SignalConsumers,
  signals,
} from './componentFactories.ts';
export { type ComponentId, parseComponentId } from './componentId.ts';
export { ConfigError } from './configError.ts';
export { byteSize, duration, endpoint, parseEndpoint } from './configSchema.ts';
export { createLogger, type Logger } from './createLogger.ts';
export {
  type ErrorKind,
  ExportError,
  permanent,
  type RetryReason,
  retryable,
  toExportError,
} from './exportError.ts';
export { type ExporterHelperOptions, exporterHelper, exporterHelperConfig } from './exporterHelper.ts';
export { exporterMetrics } from './exporterMetrics.ts';
export {
  createHost,
  type Host,
  type ResourceKey,
  type ResourceProvider,
  resourceKey,
  type ServiceHost,
} from './host.ts';
export { hostedFactory } from './hostedFactory.ts';
export { type IdleHeapRelease, idleHeapRelease } from './idleHeapRelease.ts';
export { type InFlight, inFlightDrain } from './inFlightDrain.ts';
export { type Intake, requestIntake } from './intake.ts';
export { type FactoryDescriptor, lazyFactory } from './lazyFactory.ts';
export { type Env, expandEnv, loadConfig, strippedKeys } from './loadConfig.ts';
export { metricSet } from './metricSet.ts';
export { onceShutdown } from './onceShutdown.ts';
export { type CursorCodec, cursorCodec, type Page } from './page.ts';
export { fanout, type Pipeline, pipeline } from './pipeline.ts';
export { processRegistry } from './processRegistry.ts';
export {
  type Backoff,
  backoffConfig,
  backoffDelay,
  type GaveUp,
  type RetryOnFailure,
  type RetryOptions,
  type RetryOutcome,
  retryOnFailureConfig,
  retryWithBackoff,
  sleep,
} from './retryOnFailure.ts';
export {
  type BoundedQueue,
  boundedQueue,
  type QueueSizer,
  queueMetrics,
  type SendingQueue,
  sendingQueueConfig,
} from './sendingQueue.ts';
export {
  checkService,
  componentsSection,
  type PipelineConfig,
  pipelineSignal,
  pipelinesSection,
  type ServiceConfig,
  type ServiceIssue,
} from './serviceConfig.ts';
export { applyDefaults, applySet, parseSet, type SetOverride } from './setOverrides.ts';
export { defaultRetryAfterMs, GrpcCode, statusFor, type TransportStatus } from './statusFor.ts';
export {
  type TlsServerConfig,
  type TlsServerOptions,
  tlsServerConfig,
  tlsServerOptions,
} from './tlsServerConfig.ts';
