export * from './arbitraryTraceRequest.ts';
export * from './metricsFixtures.ts';
export * from './traceFixtures.ts';
