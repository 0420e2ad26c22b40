/** The 400 answer of a route whose query failed its schema: a problem document (RFC 9457). */
export const invalidQueryResponse = {
  description: 'Invalid query',
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
};

/**
 * The 200 answer of a paged route: `item`s under `key` and the cursor of the next page (null on
 * the last), with any `more` properties after it.
 * @example const responses = { '200': pageResponse('items', logRecord), '400': invalidQueryResponse };
 */
export function pageResponse(key: string, item: object, more: Record<string, object> = {}) {
  return {
    description: 'One page',
    content: {
      'application/json': {
        schema: {
          type: 'object',
          properties: {
            [key]: { type: 'array', items: item },
            next_cursor: { type: ['string', 'null'] },
            ...more,
          },
        },
      },
    },
  };
}
