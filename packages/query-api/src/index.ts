export { openApiDocument } from './openApiDocument.ts';
export { problem } from './problem.ts';
export { type QueryApiServer, queryApiServer } from './queryApiServer.ts';
export { type QueryAppOptions, queryApp, type TraceDeletion, type TraceSource } from './queryApp.ts';
