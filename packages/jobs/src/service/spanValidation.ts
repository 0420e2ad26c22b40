import type { KeyValue } from '@llmp/otlp';
import type { JobModels } from './jobModels.ts';
import { jobOutputChecks } from './jobOutputChecks.ts';
import type { schemaValidator } from './schemaValidator.ts';
import { spanInputText } from './spanInputText.ts';
import { spanOutputText } from './spanOutputText.ts';
import type { ValidationScripts } from './validationScript.ts';

/** How one script run ended, for the `llmp_jobs_validation_script_runs_total` counter. */
export type ScriptRunOutcome = 'pass' | 'fail' | 'skipped' | string;

export interface SpanValidationOptions {
  schemas: ReturnType<typeof schemaValidator>;
  scripts: ValidationScripts;
  /** Script time one batch may spend; past it the batch's other outputs are not run through scripts. */
  batchBudgetMs: number;
  onScriptRun?: (outcome: ScriptRunOutcome) => void;
  now?: () => number;
}

/**
 * The jobs processor's checks of a linked span, written onto the span: `llmp.validation.input`
 * (input_model), `llmp.validation.output` (output_model and validation_script together: what
 * the job metrics count), `llmp.validation.script` and their errors and messages. `batch()`
 * starts a batch's script-time budget: a batch of slow scripts costs at most that, and the
 * outputs past it are left unchecked (`llmp.validation.script` = `skipped`, no output verdict)
 * rather than counted as failures.
 * @example const v = spanValidation({ schemas, scripts, batchBudgetMs: 2000 }).batch(); await v.check(span.attributes, models);
 */
export function spanValidation({
  schemas,
  scripts,
  batchBudgetMs,
  onScriptRun,
  now = () => performance.now(),
}: SpanValidationOptions) {
  return {
    /** The input and output texts a span reports, or undefined when it has neither. */
    texts(attributes: KeyValue[]): { input: string | undefined; output: string | undefined } | undefined {
      const texts = { input: spanInputText(attributes), output: spanOutputText(attributes) };
      return texts.input === undefined && texts.output === undefined ? undefined : texts;
    },

    batch() {
      let spent = 0;
      return {
        async check(
          attributes: KeyValue[],
          texts: { input: string | undefined; output: string | undefined },
          model: JobModels,
        ): Promise<void> {
          const script = model.validation_script ?? '';
          const skip = script.trim() !== '' && texts.output !== undefined && spent >= batchBudgetMs;
          const started = now();
          const results = await jobOutputChecks(
            {
              input_model: model.input_model,
              output_model: model.output_model,
              validation_script: skip ? '' : script,
            },
            texts,
            { schemas, scripts },
          );
          if (results.script) spent += now() - started;
          const put = (key: string, value: string) =>
            attributes.push({ key, value: { type: 'string', value } });
          if (results.input) {
            put('llmp.validation.input', results.input.valid ? 'pass' : 'fail');
            if (!results.input.valid) put('llmp.validation.input_error', results.input.error);
          }
          if (skip) {
            put('llmp.validation.script', 'skipped');
            onScriptRun?.('skipped');
            return;
          }
          if (results.valid !== undefined) {
            put('llmp.validation.output', results.valid ? 'pass' : 'fail');
            if (results.error !== undefined) put('llmp.validation.output_error', results.error);
          }
          if (results.script) {
            const { outcome, message } = results.script;
            put('llmp.validation.script', outcome);
            if (message !== undefined) put('llmp.validation.script_message', message);
            onScriptRun?.(outcome === 'error' ? results.script.reason : outcome);
          }
        },
      };
    },
  };
}
