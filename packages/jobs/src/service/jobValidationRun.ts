import { z } from 'zod';
import { type JobChecks, jobOutputChecks } from './jobOutputChecks.ts';
import type { schemaValidator } from './schemaValidator.ts';
import type { ValidationScripts } from './validationScript.ts';

/**
 * `POST /v1/jobs/{id}/validate`: an output (a string is the LLM's output text as is, anything
 * else is sent as its JSON), optionally the input (the job input as a JSON value; the job's
 * test_input when absent) and the version whose checks to run (the latest when absent).
 */
export const validateJobBody = z.strictObject({
  output: z.json(),
  input: z.json().optional(),
  version: z.int().positive().optional(),
});
export type ValidateJobBody = z.infer<typeof validateJobBody>;

type Check = { valid: boolean; error: string | null };

/** What each check said on a `/validate` call; null where the job has no such check. */
export interface JobValidationRun {
  version: number;
  /** Where the input came from: the body, the job's test_input, or none (input_model unchecked). */
  input_source: 'body' | 'test_input' | 'none';
  input_model: Check | null;
  output_model: Check | null;
  validation_script: {
    valid: boolean;
    outcome: 'pass' | 'fail' | 'error';
    reason: string | null;
    message: string | null;
  } | null;
  /** Every check that ran passed (null when none ran). */
  valid: boolean | null;
}

/**
 * Runs a job version's checks on a given output and input, as the jobs processor runs them on a
 * linked span (same verdicts, see jobOutputChecks).
 * @example const run = await jobValidationRun(version, { output: { summary: 'ok' } }, { schemas, scripts });
 */
export async function jobValidationRun(
  job: JobChecks & { version: number; test_input: unknown },
  body: ValidateJobBody,
  deps: { schemas: ReturnType<typeof schemaValidator>; scripts: ValidationScripts },
): Promise<JobValidationRun> {
  const source = body.input !== undefined ? 'body' : job.test_input !== null ? 'test_input' : 'none';
  const input = source === 'body' ? body.input : source === 'test_input' ? job.test_input : undefined;
  const output = typeof body.output === 'string' ? body.output : JSON.stringify(body.output);
  const results = await jobOutputChecks(
    job,
    { input: input === undefined ? undefined : JSON.stringify(input), output },
    deps,
  );
  const check = (c: typeof results.input): Check | null =>
    c ? { valid: c.valid, error: c.valid ? null : c.error } : null;
  const script = results.script;
  const ran = [results.input?.valid, results.output?.valid, script ? script.outcome === 'pass' : undefined];
  const known = ran.filter((v) => v !== undefined);
  return {
    version: job.version,
    input_source: source,
    input_model: check(results.input),
    output_model: check(results.output),
    validation_script: script
      ? {
          valid: script.outcome === 'pass',
          outcome: script.outcome,
          reason: script.outcome === 'error' ? script.reason : null,
          message: script.message ?? null,
        }
      : null,
    valid: known.length === 0 ? null : known.every(Boolean),
  };
}
