import { z } from 'zod';

/**
 * The OpenAPI query parameters of a route, generated from the zod schema that validates them:
 * with the description `descriptions` gives a name, and `explode` on the repeatable ones.
 * @example const parameters = queryParameters(logsParams);
 */
export function queryParameters(
  schema: z.ZodObject,
  {
    descriptions = {},
    explode = [],
  }: { descriptions?: Readonly<Record<string, string>>; explode?: readonly string[] } = {},
): Array<Record<string, unknown>> {
  return Object.entries(schema.shape).map(([name, field]) => {
    const { $schema: _, ...json } = z.toJSONSchema(field as z.ZodType, {
      io: 'input',
      unrepresentable: 'any',
    });
    return {
      name,
      in: 'query',
      required: false,
      schema: json,
      ...(descriptions[name] ? { description: descriptions[name] } : {}),
      ...(explode.includes(name) ? { explode: true } : {}),
    };
  });
}
