export { openApiDocument } from './openApiDocument.ts';
export { problem } from './problem.ts';
export { projectOf } from './projectOf.ts';
export { type QueryApiServer, queryApiServer } from './queryApiServer.ts';
export { type QueryAppOptions, queryApp, type TraceSource } from './queryApp.ts';
export { requireCaller } from './requireCaller.ts';
