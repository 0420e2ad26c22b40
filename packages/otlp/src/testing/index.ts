export * from './arbitraryTraceRequest.ts';
export * from './traceFixtures.ts';
