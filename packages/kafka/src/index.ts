export { type CoalescingProducerOptions, coalescingProducer } from './coalescingProducer.ts';
export { dedupToken, parsePending, pendingMetadata } from './dedupToken.ts';
export { hostedKafkaExporter } from './hostedKafkaExporter.ts';
export { afterInsertResource, hostedKafkaReceiver, signalConfig } from './hostedKafkaReceiver.ts';
export { KafkaAccessError, kafkaAccessError } from './kafkaAccessError.ts';
export type {
  BatchControl,
  CommittedOffset,
  IncomingRecord,
  KafkaClients,
  KafkaConsumer,
  KafkaProducer,
  OutgoingRecord,
  PartitionBatch,
  SendOptions,
} from './kafkaClient.ts';
export {
  exporterTopic,
  type KafkaExporterConfig,
  kafkaExporter,
  kafkaExporterConfig,
  projectHeader,
} from './kafkaExporter.ts';
export { type KafkajsOptions, kafkajsClients, withRetries } from './kafkajsClients.ts';
export { kafkajsCompression, registerKafkajsCodecs } from './kafkajsCodecs.ts';
export {
  deadLetterHeaders,
  type KafkaReceiver,
  type KafkaReceiverConfig,
  type KafkaReceiverDeps,
  kafkaReceiver,
  kafkaReceiverConfig,
} from './kafkaReceiver.ts';
export { kafkaReceiverMetrics } from './kafkaReceiverMetrics.ts';
export { kafkaResource } from './kafkaResource.ts';
export { type KafkaSecurity, kafkaSecurity } from './kafkaSecurity.ts';
export {
  type KafkaAuthConfig,
  type KafkaTlsConfig,
  kafkaAuthConfig,
  kafkaTlsConfig,
  type SaslMechanism,
  saslMechanisms,
} from './kafkaSecurityConfig.ts';
export {
  type DecodedValue,
  isOtlpJson,
  type KafkaSignal,
  type SignalRecord,
} from './kafkaSignal.ts';
export { kafkaSignalNames, kafkaSignals } from './kafkaSignals.ts';
export { type LogKafkaRecord, logKafkaRecords, OversizedLogRecordError } from './logKafkaRecords.ts';
export { logSignal } from './logSignal.ts';
export {
  type MetricKafkaRecord,
  metricKafkaRecords,
  OversizedResourceMetricsError,
} from './metricKafkaRecords.ts';
export { metricSignal } from './metricSignal.ts';
export { type PlatformaticClientsOptions, platformaticClients } from './platformaticClients.ts';
export { type PlatformaticProducerOptions, platformaticProducer } from './platformaticProducer.ts';
export {
  type CompressionCodec,
  compressionCodecs,
  compressRecords,
  decompressRecords,
  UnreadableBatchError,
} from './recordCodecs.ts';
export { OversizedSpanError, type TraceRecord, traceRecords } from './traceRecords.ts';
export { traceSignal } from './traceSignal.ts';
export { unreadableHeader, unreadableRecords } from './unreadableRecords.ts';
