import { problemSchema } from './openApiDocument.ts';
import { retryAfter } from './retryAfter.ts';

const retryAfterRef = { $ref: '#/components/headers/RetryAfter' } as const;

const headers = {
  RetryAfter: {
    description: `Seconds to wait before trying again (RFC 9110 §10.2.3); ${retryAfter} unless said otherwise.`,
    schema: { type: 'integer', minimum: 1 },
  },
} as const;

const storeUnavailable = {
  description: 'Store unavailable (retryable): try again after Retry-After',
  content: { 'application/problem+json': { schema: problemSchema } },
} as const;

type Operation = { responses?: Record<string, Record<string, unknown>> };
type Document = { paths: Record<string, Record<string, unknown>>; components?: Record<string, unknown> };

function withRetryAfter(operation: Operation, guarded: boolean): Operation {
  const responses = { ...operation.responses };
  // Every /v1 and /api handler answers 503 + Retry-After when the store fails (queryApp onError).
  if (guarded && !responses['503']) responses['503'] = storeUnavailable;
  for (const code of ['429', '503']) {
    const response = responses[code];
    if (response) responses[code] = { ...response, headers: { 'Retry-After': retryAfterRef } };
  }
  return { ...operation, responses };
}

/**
 * The document with the 503 every `/v1` and `/api` operation can answer, and the `Retry-After`
 * header on every 429 and 503, so a generated client knows when to retry.
 * @example c.json(withRetryableAnswers({ ...openApiDocument, paths }))
 */
export function withRetryableAnswers<D extends Document>(document: D): D {
  const paths = Object.fromEntries(
    Object.entries(document.paths).map(([path, operations]) => {
      const guarded = path.startsWith('/v1/') || path.startsWith('/api/');
      return [
        path,
        Object.fromEntries(
          Object.entries(operations).map(([method, operation]) => [
            method,
            withRetryAfter(operation as Operation, guarded),
          ]),
        ),
      ];
    }),
  );
  return {
    ...document,
    paths,
    components: {
      ...document.components,
      headers: { ...(document.components?.headers as object), ...headers },
    },
  };
}
