import { searchOpenApiPaths } from './searchOpenApi.ts';

export const spanSchema = {
  type: 'object',
  required: [
    'traceId',
    'spanId',
    'parentSpanId',
    'name',
    'kind',
    'serviceName',
    'startTimeUnixNano',
    'durationNs',
    'status',
  ],
  properties: {
    traceId: { type: 'string', pattern: '^[0-9a-f]{32}$' },
    spanId: { type: 'string', pattern: '^[0-9a-f]{16}$' },
    parentSpanId: { type: 'string', description: 'empty for a root span' },
    traceState: { type: 'string' },
    flags: { type: 'integer' },
    name: { type: 'string' },
    kind: { type: 'string', enum: ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'] },
    serviceName: { type: 'string' },
    startTime: { type: 'string', format: 'date-time' },
    endTime: { type: 'string', format: 'date-time' },
    startTimeUnixNano: { type: 'string', pattern: '^\\d+$' },
    endTimeUnixNano: { type: 'string', pattern: '^\\d+$' },
    durationNs: {
      type: 'string',
      pattern: '^\\d+$',
      description: 'nanoseconds, a decimal string so it stays exact',
    },
    status: {
      type: 'object',
      properties: { code: { type: 'string', enum: ['UNSET', 'OK', 'ERROR'] }, message: { type: 'string' } },
    },
    attributes: { type: 'object', additionalProperties: true },
    resourceAttributes: { type: 'object', additionalProperties: true },
    scope: { type: 'object' },
    events: { type: 'array', items: { type: 'object' } },
    links: { type: 'array', items: { type: 'object' } },
    jobId: { type: ['string', 'null'] },
    jobVersion: { type: ['string', 'null'] },
    jobType: { type: ['string', 'null'] },
    spanType: { type: ['string', 'null'] },
    genAi: { type: 'object' },
    sessionId: { type: ['string', 'null'] },
    userId: { type: ['string', 'null'] },
  },
} as const;

export const problemSchema = {
  type: 'object',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
  },
} as const;

/** The `{traceId}` path parameter: 32 hex digits. */
export const traceIdParameter = {
  name: 'traceId',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^[0-9a-fA-F]{32}$' },
};

/**
 * An answer whose body is a problem document (RFC 9457), e.g. a 404.
 * @example const responses = { '404': problemResponse('Unknown trace') };
 */
export function problemResponse(description: string) {
  return { description, content: { 'application/problem+json': { schema: problemSchema } } };
}

/** The OpenAPI 3.1 description of the query API, served at `/openapi.json`. */
export const openApiDocument = {
  openapi: '3.1.0',
  info: { title: 'llmp query API', version: '0.1.0' },
  paths: {
    '/v1/traces/{traceId}': {
      get: {
        summary: 'The spans of a trace, oldest first, in parts of at most limit (default 10 000)',
        description:
          'A trace of at most `limit` spans (default and most 10 000) comes whole, without `next_cursor`. A bigger one comes in parts in (start, span id) order: each but the last has `next_cursor`, passed back as `cursor` for the next.',
        parameters: [
          traceIdParameter,
          {
            name: 'limit',
            in: 'query',
            schema: { type: 'integer', minimum: 1, maximum: 10000, default: 10000 },
          },
          { name: 'cursor', in: 'query', schema: { type: 'string' } },
        ],
        responses: {
          '200': {
            description: 'The trace',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    traceId: { type: 'string' },
                    spans: { type: 'array', items: spanSchema },
                    next_cursor: { type: 'string', description: 'present when more spans follow' },
                  },
                },
              },
            },
          },
          '400': problemResponse('Invalid trace id, limit or cursor'),
          '404': problemResponse('Unknown trace'),
        },
      },
      delete: {
        summary: 'Delete a trace from the store, and from MLflow when configured',
        parameters: [traceIdParameter],
        responses: {
          '202': { description: 'Deleted from the store; MLflow deletion queued (see /sync)' },
          '400': problemResponse('Invalid trace id'),
          '404': problemResponse('Unknown trace'),
        },
      },
    },
    '/v1/traces/{traceId}/sync': {
      get: {
        summary: "The trace's MLflow sync state",
        parameters: [traceIdParameter],
        responses: {
          '200': {
            description: 'pending, uploaded, deleted or failed (with the reason)',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    traceId: { type: 'string' },
                    state: { type: 'string', enum: ['pending', 'uploaded', 'deleted', 'failed'] },
                    operation: { type: 'string', enum: ['upload', 'delete'] },
                    reason: { type: 'string' },
                    experimentId: { type: 'string' },
                    attempts: { type: 'integer' },
                    updatedAt: { type: 'string', format: 'date-time' },
                  },
                },
              },
            },
          },
          '404': problemResponse('No sync state (MLflow not configured, or the trace unknown to it)'),
        },
      },
    },
    ...searchOpenApiPaths(),
    '/healthz': { get: { summary: 'Process is alive', responses: { '200': { description: 'ok' } } } },
    '/readyz': {
      get: {
        summary: 'Store answers',
        responses: { '200': { description: 'ready' }, '503': { description: 'store unavailable' } },
      },
    },
  },
  components: { schemas: { Problem: problemSchema } },
} as const;
