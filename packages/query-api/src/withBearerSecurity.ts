/** The name the OpenAPI document gives its API-key scheme. */
export const bearerSchemeName = 'apiKey';

const securitySchemes = {
  [bearerSchemeName]: {
    type: 'http',
    scheme: 'bearer',
    description:
      'An llmp API key (auth.apiKeys / LLMP_API_KEYS) as `Authorization: Bearer <key>`; ' +
      '`x-llmp-api-key: <key>` works too. Not needed when no keys are configured.',
  },
} as const;

type Document = { paths: Record<string, Record<string, unknown>>; components?: Record<string, unknown> };

/**
 * The document with the bearer scheme declared and every `/v1` and `/api` operation requiring it,
 * so the `/docs` page offers "Authorize"; health, readiness and the document itself stay open.
 * @example c.json(withBearerSecurity({ ...openApiDocument, paths }))
 */
export function withBearerSecurity<D extends Document>(document: D): D {
  const paths = Object.fromEntries(
    Object.entries(document.paths).map(([path, operations]) => {
      const guarded = path.startsWith('/v1/') || path.startsWith('/api/');
      const security = guarded ? [{ [bearerSchemeName]: [] }] : [];
      return [
        path,
        Object.fromEntries(
          Object.entries(operations).map(([method, operation]) => [
            method,
            { ...(operation as object), security },
          ]),
        ),
      ];
    }),
  );
  return {
    ...document,
    paths,
    components: { ...document.components, securitySchemes },
  };
}
