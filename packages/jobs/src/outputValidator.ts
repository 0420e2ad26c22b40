import { Ajv, type ValidateFunction } from 'ajv';

export type OutputCheck = { valid: true } | { valid: false; error: string };

/**
 * Checks output text against a job's `output_model` (JSON Schema, with ajv). The output must be
 * JSON; the first error is kept. Compiled schemas are reused (at most `maxSchemas` of them).
 * @example outputValidator().check({ type: 'object', required: ['summary'] }, '{"summary": "ok"}')
 */
export function outputValidator({ maxSchemas = 1000 } = {}) {
  // allErrors off: the first error is what is stored; strict off: schemas come from users.
  const ajv = new Ajv({ allErrors: false, strict: false });
  const compiled = new Map<string, ValidateFunction | string>();

  function validatorFor(schema: Record<string, unknown>): ValidateFunction | string {
    const key = JSON.stringify(schema);
    let found = compiled.get(key);
    if (found === undefined) {
      try {
        found = ajv.compile(schema);
      } catch (error) {
        found = `output_model is not a usable JSON Schema: ${(error as Error).message}`;
      }
      if (compiled.size >= maxSchemas) compiled.delete(compiled.keys().next().value!);
      compiled.set(key, found);
    }
    return found;
  }

  return {
    check(schema: Record<string, unknown>, output: string): OutputCheck {
      const validate = validatorFor(schema);
      if (typeof validate === 'string') return { valid: false, error: validate };
      let value: unknown;
      try {
        value = JSON.parse(output);
      } catch {
        return { valid: false, error: 'output is not JSON' };
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
