import { z } from 'zod';
import { logsParams } from './logsRoutes.ts';

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
  const parameters = Object.entries(logsParams.shape).map(([name, field]) => {
    const { $schema: _, ...schema } = z.toJSONSchema(field as z.ZodType, {
      io: 'input',
      unrepresentable: 'any',
    });
    return { name, in: 'query', required: false, schema };
  });
  return {
    '/v1/logs': {
      get: {
        summary: 'Search OTLP log records',
        description:
          'Log records received on /v1/logs or LogsService (GenAI events among them), newest first; default time range the last 24 hours. `severity` is the lowest level (trace, debug, info, warn, error, fatal or 1–24). One page per call; pass `next_cursor` back as `cursor`.',
        parameters,
        responses: {
          '200': {
            description: 'One page',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    items: { type: 'array', items: logRecord },
                    next_cursor: { type: ['string', 'null'] },
                  },
                },
              },
            },
          },
          '400': {
            description: 'Invalid query',
            content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
          },
        },
      },
    },
  };
}
