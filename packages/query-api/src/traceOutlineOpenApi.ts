import { problemResponse, spanSchema, traceIdParameter } from './openApiDocument.ts';
import { maxOutlineSpans } from './traceOutlineRoutes.ts';

const problems = (what: string) => ({
  '400': problemResponse(`Invalid ${what}`),
  '404': problemResponse('Unknown trace or span'),
});
const tokens = { type: 'integer' };
const outlineSpan = {
  type: 'object',
  properties: {
    spanId: { type: 'string' },
    parentSpanId: { type: 'string' },
    name: { type: 'string' },
    serviceName: { type: 'string' },
    startTimeUnixNano: { type: 'string' },
    durationNs: { type: 'string' },
    status: { type: 'object', properties: { code: { type: 'string', enum: ['UNSET', 'OK', 'ERROR'] } } },
    spanType: { type: 'string', nullable: true },
    genAi: {
      type: 'object',
      properties: {
        inputTokens: tokens,
        outputTokens: tokens,
        costUsd: { type: 'number', nullable: true },
      },
    },
  },
};

/**
 * The OpenAPI paths of a trace's outline and of one span.
 * @example const paths = { ...openApiDocument.paths, ...traceOutlineOpenApiPaths() };
 */
export function traceOutlineOpenApiPaths(): Record<string, unknown> {
  return {
    '/v1/traces/{traceId}/outline': {
      get: {
        summary: "A trace's waterfall: each span's tree place, timing, status and usage, without attributes",
        parameters: [
          traceIdParameter,
          {
            name: 'limit',
            in: 'query',
            required: false,
            schema: { type: 'integer', minimum: 1, maximum: maxOutlineSpans, default: maxOutlineSpans },
          },
        ],
        responses: {
          '200': {
            description: 'Spans oldest first; truncated when the trace has more than the limit',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    traceId: { type: 'string' },
                    spans: { type: 'array', items: outlineSpan },
                    truncated: { type: 'boolean' },
                  },
                },
              },
            },
          },
          ...problems('trace id or limit'),
        },
      },
    },
    '/v1/traces/{traceId}/spans/{spanId}': {
      get: {
        summary: 'One span of a trace, whole (as in GET /v1/traces/{traceId})',
        parameters: [
          traceIdParameter,
          {
            name: 'spanId',
            in: 'path',
            required: true,
            schema: { type: 'string', pattern: '^[0-9a-fA-F]{16}$' },
          },
        ],
        responses: {
          '200': { description: 'The span', content: { 'application/json': { schema: spanSchema } } },
          ...problems('trace or span id'),
        },
      },
    },
  };
}
