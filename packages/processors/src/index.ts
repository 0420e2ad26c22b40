export { type BatchProcessorConfig, batchProcessorConfig, batchProcessorFactory } from './batchProcessor.ts';
export { batchProcessorMetrics } from './batchProcessorMetrics.ts';
