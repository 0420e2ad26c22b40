import { schemaValidator, validationScripts } from '@llmp/jobs';
import { median } from './quantiles.ts';

const script = `function validate(output, input) {
  if (typeof output !== 'object' || output === null) return { valid: false, message: 'not JSON' };
  if (typeof output.summary !== 'string' || output.summary.length > 500) return { valid: false, message: 'summary' };
  return { valid: ['low', 'high'].includes(output.priority), message: 'for ' + (input ? input.ticket : '?') };
}`;
const output = JSON.stringify({
  summary: 'The disk on db-3 is full; logs rotated, alert muted for 2 h.',
  priority: 'high',
  tags: ['disk', 'ops', 'db'],
});
const input = JSON.stringify({ ticket: 'T-1042', text: 'db-3 disk at 100 %'.repeat(20) });
const outputModel = {
  type: 'object',
  required: ['summary', 'priority'],
  properties: { summary: { type: 'string', maxLength: 500 }, priority: { enum: ['low', 'high'] } },
};

/** Microseconds per call of `fn`, median over `rounds` rounds of `runs` calls. */
async function perCall(rounds: number, runs: number, fn: () => unknown): Promise<number> {
  const each: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < runs; i++) await fn();
    each.push(Number(process.hrtime.bigint() - start) / 1000 / runs);
  }
  return median(each);
}

/**
 * The per-span cost of a job's validation_script in the sandbox (QuickJS in WebAssembly): a run
 * in a warm runtime (the script loaded once), next to the output_model check with ajv; a first
 * load (engine + script), and a load of a new script into the loaded engine.
 * @example report(await validationScriptScenario({ rounds: 7 }));
 */
export async function validationScriptScenario({ rounds = 7, runs = 2000 } = {}) {
  const loadStart = process.hrtime.bigint();
  const scripts = validationScripts({ maxScripts: 16 });
  await scripts.compile(script);
  const firstLoadMs = Number(process.hrtime.bigint() - loadStart) / 1e6;
  const verdict = await scripts.run(script, output, input);
  if (verdict.outcome !== 'pass') throw new Error(`bench script said ${JSON.stringify(verdict)}`);

  const schemas = schemaValidator();
  await perCall(1, runs, () => scripts.run(script, output, input)); // warm-up
  const scriptUs = await perCall(rounds, runs, () => scripts.run(script, output, input));
  const schemaUs = await perCall(rounds, runs, () => schemas.check(outputModel, output));
  // A different script each time: what an evicted or new script costs (runtime + context + load).
  let n = 0;
  const loadUs = await perCall(rounds, 50, () => scripts.compile(`${script}\n// ${n++}`));
  const rss = process.memoryUsage().rss;
  scripts.dispose();
  return {
    scenario: 'validation-script',
    runs: `${rounds} rounds x ${runs}`,
    scriptRunMedianUs: Number(scriptUs.toFixed(1)),
    outputModelCheckMedianUs: Number(schemaUs.toFixed(1)),
    newScriptLoadMedianUs: Number(loadUs.toFixed(0)),
    firstLoadMs: Number(firstLoadMs.toFixed(1)),
    rssMiBWith16Scripts: Math.round(rss / 2 ** 20),
  };
}
