import { invalidQueryResponse, pageResponse } from './openApiResponses.ts';
import { queryParameters } from './queryParameters.ts';
import { metricsParams, searchParams, sessionsParams } from './searchQuery.ts';

const descriptions: Record<string, string> = {
  from: 'Start of the time range (RFC 3339, inclusive); default: 24 hours before `to`',
  to: 'End of the time range (RFC 3339, exclusive); default: now',
  jobId: "Job of the span: the one it names (llmp.job.id), else its trace's first link",
  jobVersion: "Job version of the span: the one it names, else its trace's first link's",
  model: 'Request or response model',
  minDurationMs: 'Minimum duration in milliseconds (of the trace for /v1/traces, of the span otherwise)',
  maxDurationMs: 'Maximum duration in milliseconds',
  sessionId: 'Session (gen_ai.conversation.id, session.id, …)',
  userId: 'End user (user.id, …)',
  sort: 'Sort key',
  order: 'Sort order',
  limit: 'Rows per page (metrics: rows at most)',
  cursor: 'The `next_cursor` of the previous page, with the same filters and sort',
  groupBy: 'One or two of job, jobVersion, model, provider, service, spanName, spanType, comma separated',
  step: 'Time bucket width',
  by: 'Group traces by session (session.id, gen_ai.conversation.id, …) or by end user (user.id, …)',
};

const attributeNote =
  ' Span attributes filter as `attr.<key>=<value>` (up to 10; the value is compared with the stored text).' +
  ' A search answers one page and a `next_cursor` (null on the last page; `nextCursor` is a deprecated alias kept for one release).';

const tokens = {
  inputTokens: { type: 'integer' },
  outputTokens: { type: 'integer' },
  cacheReadTokens: { type: 'integer' },
  cacheWriteTokens: { type: 'integer' },
  reasoningTokens: { type: 'integer' },
} as const;

const durationNs = {
  type: 'string',
  pattern: '^\\d+$',
  description: 'nanoseconds, a decimal string so it stays exact',
} as const;

const sessionSummary = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    traces: { type: 'integer' },
    spans: { type: 'integer' },
    errorCount: { type: 'integer' },
    firstSeen: { type: 'string', format: 'date-time' },
    lastSeen: { type: 'string', format: 'date-time' },
    related: { type: 'integer' },
    inputTokens: { type: 'integer' },
    outputTokens: { type: 'integer' },
    costUsd: { type: ['number', 'null'] },
  },
} as const;

const traceSummary = {
  type: 'object',
  properties: {
    traceId: { type: 'string' },
    rootName: { type: 'string' },
    serviceName: { type: 'string' },
    startTime: { type: 'string', format: 'date-time' },
    startTimeUnixNano: { type: 'string' },
    durationNs,
    spanCount: { type: 'integer' },
    errorCount: { type: 'integer' },
    ...tokens,
    costUsd: { type: ['number', 'null'] },
    jobId: { type: ['string', 'null'] },
    jobVersion: { type: ['string', 'null'] },
  },
} as const;

const spanSummary = {
  type: 'object',
  properties: {
    traceId: { type: 'string' },
    spanId: { type: 'string' },
    parentSpanId: { type: 'string' },
    name: { type: 'string' },
    kind: { type: 'string' },
    serviceName: { type: 'string' },
    startTime: { type: 'string', format: 'date-time' },
    startTimeUnixNano: { type: 'string' },
    durationNs,
    status: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } },
    spanType: { type: ['string', 'null'] },
    provider: { type: ['string', 'null'] },
    requestModel: { type: ['string', 'null'] },
    responseModel: { type: ['string', 'null'] },
    ...tokens,
    costUsd: { type: ['number', 'null'] },
    inputPreview: { type: 'string' },
    outputPreview: { type: 'string' },
    jobId: { type: ['string', 'null'] },
    jobVersion: { type: ['string', 'null'] },
    sessionId: { type: ['string', 'null'] },
    userId: { type: ['string', 'null'] },
  },
} as const;

const metricsRow = {
  type: 'object',
  properties: {
    group: { type: 'object', additionalProperties: { type: 'string' } },
    time: { type: 'string', format: 'date-time', description: 'bucket start, with a step' },
    count: { type: 'integer' },
    errorCount: { type: 'integer' },
    errorRate: { type: 'number' },
    durationNs: {
      type: 'object',
      properties: { p50: { type: 'number' }, p90: { type: 'number' }, p99: { type: 'number' } },
    },
    ...tokens,
    costUsd: { type: 'number' },
  },
} as const;

const page = (key: string, item: object) =>
  pageResponse(key, item, { nextCursor: { type: ['string', 'null'], deprecated: true } });

/**
 * OpenAPI paths of the search and metrics routes; parameters come from their zod schemas.
 * @example const document = { ...base, paths: { ...base.paths, ...searchOpenApiPaths() } };
 */
export function searchOpenApiPaths() {
  return {
    '/v1/traces': {
      get: {
        summary: 'Search traces: one row per trace having a span that matches',
        description: `Tokens and cost add up llm and embedding spans.${attributeNote}`,
        parameters: queryParameters(searchParams, { descriptions }),
        responses: { '200': page('traces', traceSummary), '400': invalidQueryResponse },
      },
    },
    '/v1/spans': {
      get: {
        summary: 'Search spans',
        description: attributeNote,
        parameters: queryParameters(searchParams, { descriptions }),
        responses: { '200': page('spans', spanSummary), '400': invalidQueryResponse },
      },
    },
    '/v1/metrics': {
      get: {
        summary: 'Span aggregates per group and time step',
        description:
          'Count, errors, duration quantiles, tokens by kind and cost (of llm and embedding spans), grouped by ' +
          'up to two dimensions, optionally per time step; `truncated` says rows beyond `limit` were left out; ' +
          '`source` says what answered: `rollup` (the hourly rollup, with spans for the hours it does not ' +
          'hold whole) or `spans`.',
        parameters: queryParameters(metricsParams, { descriptions }),
        responses: {
          '200': {
            description: 'The aggregates',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    from: { type: 'string', format: 'date-time' },
                    to: { type: 'string', format: 'date-time' },
                    groupBy: { type: 'array', items: { type: 'string' } },
                    step: { type: ['string', 'null'] },
                    rows: { type: 'array', items: metricsRow },
                    truncated: { type: 'boolean' },
                    source: { type: 'string', enum: ['rollup', 'spans'] },
                  },
                },
              },
            },
          },
          '400': invalidQueryResponse,
        },
      },
    },
    '/v1/sessions': {
      get: {
        summary: 'Traces grouped by session or user',
        description:
          'One row per session (or user) named by a span of a matching trace, most recently seen first; ' +
          'counts, tokens and cost add up the spans of its traces in the time range (tokens and cost of llm ' +
          'and embedding spans); `related` counts the users of a session, or the sessions of a user; ' +
          "`truncated` says groups beyond `limit` were left out. List a group's traces with " +
          '`GET /v1/traces?sessionId=…` (or `userId=…`).',
        parameters: queryParameters(sessionsParams, { descriptions }),
        responses: {
          '200': {
            description: 'The groups',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    from: { type: 'string', format: 'date-time' },
                    to: { type: 'string', format: 'date-time' },
                    by: { type: 'string', enum: ['session', 'user'] },
                    sessions: { type: 'array', items: sessionSummary },
                    truncated: { type: 'boolean' },
                  },
                },
              },
            },
          },
          '400': invalidQueryResponse,
        },
      },
    },
  };
}
