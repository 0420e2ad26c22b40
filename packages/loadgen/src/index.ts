export { llmTrace, seededRandom, type TraceShape } from './llmTraces.ts';
export { type OtlpSender, otlpSender, type Protocol, type SendOutcome } from './otlpSender.ts';
export { encodeRequests, type LoadOptions, type LoadReport, runLoad } from './runLoad.ts';
