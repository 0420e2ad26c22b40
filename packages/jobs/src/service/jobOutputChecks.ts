import type { SchemaCheck, schemaValidator } from './schemaValidator.ts';
import type { ScriptVerdict, ValidationScripts } from './validationScript.ts';

/** What a job version checks an output (and its input) with. */
export interface JobChecks {
  input_model: Record<string, unknown> | null;
  output_model: Record<string, unknown> | null;
  /** JavaScript defining `validate(output, input)`; '' for none. */
  validation_script: string;
}

/** What each check said; a check the job does not have (or that had no text to read) is absent. */
export interface JobCheckResults {
  input?: SchemaCheck;
  output?: SchemaCheck;
  script?: ScriptVerdict;
  /**
   * The output's verdict: every output check present passed (the output_model and the script);
   * undefined when the output was not checked at all.
   */
  valid?: boolean;
  /** Why the output failed: the output_model's error first, else the script's message. */
  error?: string;
}

/**
 * Runs a job version's checks: input text against input_model, output text against
 * output_model and through validation_script (with the input). Shared by the jobs processor
 * (per linked span) and `POST /v1/jobs/{id}/validate`, so both give the same verdicts.
 * @example const results = await jobOutputChecks(job, { output: '{"summary":"ok"}' }, { schemas, scripts });
 */
export async function jobOutputChecks(
  checks: JobChecks,
  texts: { input?: string | undefined; output?: string | undefined },
  { schemas, scripts }: { schemas: ReturnType<typeof schemaValidator>; scripts: ValidationScripts },
): Promise<JobCheckResults> {
  const results: JobCheckResults = {};
  if (checks.input_model && texts.input !== undefined)
    results.input = schemas.check(checks.input_model, texts.input, 'input');
  if (texts.output === undefined) return results;
  if (checks.output_model) results.output = schemas.check(checks.output_model, texts.output, 'output');
  if (checks.validation_script.trim() !== '')
    results.script = await scripts.run(checks.validation_script, texts.output, texts.input);
  if (!results.output && !results.script) return results;
  const schemaError = results.output && !results.output.valid ? results.output.error : undefined;
  const script = results.script;
  const scriptFailed = script !== undefined && script.outcome !== 'pass';
  results.valid = schemaError === undefined && !scriptFailed;
  if (!results.valid)
    results.error = schemaError ?? script?.message ?? 'validation_script said the output is not valid';
  return results;
}
