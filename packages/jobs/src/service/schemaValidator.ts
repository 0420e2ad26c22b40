import { Ajv, type ValidateFunction } from 'ajv';

export type SchemaCheck = { valid: true } | { valid: false; error: string };

/**
 * Checks a span's output (or input) text against a job's `output_model` (or `input_model`), a
 * JSON Schema, with ajv. The text must be JSON; the first error is kept. Compiled schemas are
 * reused (at most `maxSchemas` of them).
 * @example schemaValidator().check({ type: 'object', required: ['summary'] }, '{"summary": "ok"}')
 */
export function schemaValidator({ maxSchemas = 1000 } = {}) {
  // allErrors off: the first error is what is stored; strict off: schemas come from users.
  const ajv = new Ajv({ allErrors: false, strict: false });
  const compiled = new Map<string, ValidateFunction | string>();

  function validatorFor(schema: Record<string, unknown>, side: string): ValidateFunction | string {
    const key = JSON.stringify(schema);
    let found = compiled.get(key);
    if (found === undefined) {
      try {
        found = ajv.compile(schema);
      } catch (error) {
        found = `${side}_model is not a usable JSON Schema: ${(error as Error).message}`;
      }
      if (compiled.size >= maxSchemas) compiled.delete(compiled.keys().next().value!);
      compiled.set(key, found);
    }
    return found;
  }

  return {
    check(schema: Record<string, unknown>, text: string, side: 'input' | 'output' = 'output'): SchemaCheck {
      const validate = validatorFor(schema, side);
      if (typeof validate === 'string') return { valid: false, error: validate };
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        return { valid: false, error: `${side} is not JSON` };
      }
      if (validate(value)) return { valid: true };
      const first = validate.errors?.[0];
      return {
        valid: false,
        error: first ? `${first.instancePath || '/'} ${first.message ?? 'is invalid'}` : 'output is invalid',
      };
    },
  };
}
