export { type BatchProcessorConfig, batchProcessorConfig, batchProcessorFactory } from './batchProcessor.ts';
