import type { KeyValue } from '@llmp/otlp';
import { stringAttr } from '@llmp/otlp/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { schemaValidator } from './schemaValidator.ts';
import { spanValidation } from './spanValidation.ts';
import { validationScripts } from './validationScript.ts';

const scripts = validationScripts();
afterAll(() => scripts.dispose());

const asObject = (attributes: KeyValue[]) =>
  Object.fromEntries(attributes.map((kv) => [kv.key, (kv.value as { value: unknown }).value]));

describe('spanValidation', () => {
  it("stops running scripts in a batch once the batch's script time is spent, leaving the rest unchecked", async () => {
    // Each reading of the clock is 30 ms later: every run costs 30 ms.
    let clock = 0;
    const outcomes: string[] = [];
    const checks = spanValidation({
      schemas: schemaValidator(),
      scripts,
      batchBudgetMs: 50,
      onScriptRun: (outcome) => outcomes.push(outcome),
      now: () => (clock += 30),
    });
    const model = {
      input_model: null,
      output_model: { type: 'object', required: ['a'] },
      validation_script: '(o) => o.a > 0',
    };
    const run = async (batch: ReturnType<typeof checks.batch>, output: string) => {
      const attributes = [stringAttr('output.value', output)];
      await batch.check(attributes, checks.texts(attributes)!, model);
      return asObject(attributes);
    };
    const batch = checks.batch();
    expect(await run(batch, '{"a":1}')).toMatchObject({
      'llmp.validation.output': 'pass',
      'llmp.validation.script': 'pass',
    });
    expect(await run(batch, '{"a":0}')).toMatchObject({
      'llmp.validation.output': 'fail',
      'llmp.validation.script': 'fail',
    });
    const skipped = await run(batch, '{"a":1}');
    expect(skipped).toEqual({ 'output.value': '{"a":1}', 'llmp.validation.script': 'skipped' });
    // A model without a script is still checked after the budget is spent.
    const attributes = [stringAttr('output.value', '{}')];
    await batch.check(attributes, checks.texts(attributes)!, { ...model, validation_script: '' });
    expect(asObject(attributes)).toMatchObject({ 'llmp.validation.output': 'fail' });
    // The next batch has its own budget.
    expect(await run(checks.batch(), '{"a":2}')).toMatchObject({ 'llmp.validation.script': 'pass' });
    expect(outcomes).toEqual(['pass', 'fail', 'skipped', 'pass']);
  });

  it('reads nothing from a span without input or output text', () => {
    const checks = spanValidation({ schemas: schemaValidator(), scripts, batchBudgetMs: 50 });
    expect(checks.texts([stringAttr('llmp.job.id', 'j')])).toBeUndefined();
    expect(checks.texts([stringAttr('llmp.job.input', '{"t":1}')])).toEqual({
      input: '{"t":1}',
      output: undefined,
    });
  });
});
