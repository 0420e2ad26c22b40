import { logsParams } from './logsRoutes.ts';
import { invalidQueryResponse, pageResponse } from './openApiResponses.ts';
import { queryParameters } from './queryParameters.ts';

const map = { type: 'object', additionalProperties: { type: 'string' } } as const;

const logRecord = {
  type: 'object',
  properties: {
    timeUnixNano: { type: 'string' },
    time: { type: 'string', format: 'date-time' },
    traceId: { type: 'string' },
    spanId: { type: 'string' },
    severityText: { type: 'string' },
    severityNumber: { type: 'integer' },
    serviceName: { type: 'string' },
    eventName: { type: 'string' },
    body: { type: 'string', description: 'The body as text (structured values as JSON)' },
    attributes: map,
    resourceAttributes: map,
    scope: { type: 'object', properties: { name: { type: 'string' }, version: { type: 'string' } } },
    jobId: { type: ['string', 'null'] },
  },
};

/**
 * The OpenAPI path of `GET /v1/logs`, its parameters generated from the schema that validates them.
 * @example const paths = { ...searchOpenApiPaths(), ...logsOpenApiPaths() };
 */
export function logsOpenApiPaths(): Record<string, unknown> {
  return {
    '/v1/logs': {
      get: {
        summary: 'Search OTLP log records',
        description:
          'Log records received on /v1/logs or LogsService (GenAI events among them), newest first; default time range the last 24 hours. `severity` is the lowest level (trace, debug, info, warn, error, fatal or 1–24). One page per call; pass `next_cursor` back as `cursor`.',
        parameters: queryParameters(logsParams),
        responses: { '200': pageResponse('items', logRecord), '400': invalidQueryResponse },
      },
    },
  };
}
