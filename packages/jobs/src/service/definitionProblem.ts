import { Ajv } from 'ajv';
import type { JobDefinition } from './jobSchema.ts';
import type { ValidationScripts } from './validationScript.ts';

/**
 * What makes a job definition unusable for its checks, as a 400 message: an input_model or
 * output_model that is not a JSON Schema, or a validation_script that does not load. Run at
 * create and update, so a broken check is refused once instead of failing every span.
 * @example const problem = await definitionProblem(definition, scripts); // 'output_model is not …'
 */
export async function definitionProblem(
  definition: Pick<JobDefinition, 'input_model' | 'output_model' | 'validation_script'>,
  scripts: ValidationScripts,
): Promise<string | undefined> {
  // Strict off as at span time (users' schemas may carry extra keywords); the meta-schema still
  // applies, so `{"type": "strng"}` is refused. A fresh ajv per check: its cache of compiled
  // schemas would otherwise grow with every definition ever checked.
  const ajv = new Ajv({ strict: false });
  for (const side of ['input_model', 'output_model'] as const) {
    const schema = definition[side];
    if (schema === null) continue;
    try {
      ajv.compile(schema);
    } catch (error) {
      return `${side} is not a valid JSON Schema: ${(error as Error).message}`;
    }
  }
  if (definition.validation_script.trim() !== '') {
    const compiled = await scripts.compile(definition.validation_script);
    if (!compiled.ok) return compiled.message;
  }
  return undefined;
}
