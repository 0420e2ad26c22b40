export { type JobsRoutesOptions, jobsRoutes } from './jobsRoutes.ts';
export { openApiDocument } from './openApiDocument.ts';
export { decodeCursor, encodeCursor, type PageCursor, queryHash } from './pageCursor.ts';
export { problem } from './problem.ts';
export { projectOf } from './projectOf.ts';
export { type QueryApiServer, queryApiServer } from './queryApiServer.ts';
export { type QueryAppOptions, queryApp, type TraceDeletion, type TraceSource } from './queryApp.ts';
export { requireCaller } from './requireCaller.ts';
export {
  type MetricsQuery,
  metricsParams,
  parseMetricsQuery,
  parseSearchQuery,
  type SearchQuery,
  searchParams,
} from './searchQuery.ts';
export { searchRoutes } from './searchRoutes.ts';
