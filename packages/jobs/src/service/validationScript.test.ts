import { afterAll, describe, expect, it } from 'vitest';
import { validationScripts } from './validationScript.ts';

const scripts = validationScripts();
afterAll(() => scripts.dispose());

const hasSummary = `
function validate(output, input) {
  if (typeof output !== 'object' || output === null) return { valid: false, message: 'not an object' };
  return { valid: typeof output.summary === 'string', message: 'summary for ' + (input && input.ticket) };
}`;

describe('validationScripts', () => {
  it('gives the verdict and message of validate(output, input)', async () => {
    expect(await scripts.run(hasSummary, '{"summary":"disk full"}', '{"ticket":"T-1"}')).toEqual({
      outcome: 'pass',
      message: 'summary for T-1',
    });
    expect(await scripts.run(hasSummary, 'Sure! The disk is full.')).toEqual({
      outcome: 'fail',
      message: 'not an object',
    });
    expect(await scripts.run('(output, input, text) => text.length < 5', 'short')).toEqual({
      outcome: 'fail',
      message: undefined,
    });
    expect(await scripts.run('(output) => output === 42', '42')).toEqual({
      outcome: 'pass',
      message: undefined,
    });
  });

  it('says what was wrong with a result that is not a verdict, and with a throw', async () => {
    expect(await scripts.run('function validate() { return "yes" }', '{}')).toMatchObject({
      outcome: 'error',
      reason: 'result',
      message: 'validation_script returned string, not a boolean or {valid, message}',
    });
    expect(await scripts.run('async function validate() { return true }', '{}')).toMatchObject({
      outcome: 'error',
      reason: 'result',
    });
    expect(await scripts.run('function validate(o) { return o.a.b }', '{}')).toMatchObject({
      outcome: 'error',
      reason: 'thrown',
      message: expect.stringContaining('TypeError'),
    });
  });

  it('refuses a script that does not compile or defines no validate function', async () => {
    const syntax = await scripts.compile('function validate(output) { return output. }');
    expect(syntax).toMatchObject({ ok: false, message: expect.stringContaining('SyntaxError') });
    expect(await scripts.compile('const x = 1;')).toEqual({
      ok: false,
      message: 'validation_script must define function validate(output, input) or be a function expression',
    });
    expect(await scripts.compile(hasSummary)).toEqual({ ok: true });
    expect(await scripts.run('function validate( {', '{}')).toMatchObject({
      outcome: 'error',
      reason: 'compile',
    });
  });

  it('has no require, process, fetch or other host objects', async () => {
    const probe = `(o) => ({ valid: false, message: [typeof require, typeof process, typeof fetch,
      typeof globalThis.XMLHttpRequest, typeof setTimeout, typeof WebAssembly, typeof std, typeof os].join(',') })`;
    expect(await scripts.run(probe, '{}')).toEqual({
      outcome: 'fail',
      message: 'undefined,undefined,undefined,undefined,undefined,undefined,undefined,undefined',
    });
    expect(await scripts.run('(o) => { require("fs"); return true }', '{}')).toMatchObject({
      outcome: 'error',
      reason: 'thrown',
      message: expect.stringContaining('require'),
    });
  });

  it('stops an infinite loop at the deadline and runs the script again afterwards', async () => {
    const own = validationScripts({ timeoutMs: 20, loadTimeoutMs: 30 });
    const loop = '(o) => { if (o.loop) { for (;;) {} } return true }';
    expect(await own.run(loop, '{"loop":true}')).toEqual({
      outcome: 'error',
      reason: 'timeout',
      message: 'validation_script ran past 20 ms',
    });
    expect(await own.run(loop, '{"loop":false}')).toEqual({ outcome: 'pass', message: undefined });
    // The interruption cannot be caught by the script.
    const stubborn = '(o) => { for (;;) { try { for (;;) {} } catch (e) {} finally { continue; } } }';
    expect(await own.run(stubborn, '{}')).toMatchObject({ outcome: 'error', reason: 'timeout' });
    expect(await own.compile('for (;;) {}')).toEqual({
      ok: false,
      message: 'validation_script does not load: its top level ran past 30 ms',
    });
    own.dispose();
  });

  it('disables a script that keeps timing out, for a while', async () => {
    let clock = 1_000_000;
    let spins = 0;
    const own = validationScripts({
      timeoutMs: 5,
      disableAfterTimeouts: 2,
      disabledForMs: 60_000,
      // The fake clock moves on each time the interrupt handler looks.
      now: () => {
        spins++;
        clock += 1;
        return clock;
      },
    });
    const loop = '() => { for (;;) {} }';
    expect(await own.run(loop, '1')).toMatchObject({ reason: 'timeout' });
    expect(await own.run(loop, '1')).toMatchObject({ reason: 'timeout' });
    const before = spins;
    expect(await own.run(loop, '1')).toMatchObject({ outcome: 'error', reason: 'disabled' });
    expect(spins - before).toBe(1);
    clock += 60_001;
    expect(await own.run(loop, '1')).toMatchObject({ reason: 'timeout' });
    own.dispose();
  });

  it('refuses a huge allocation instead of growing past its memory limit', async () => {
    const own = validationScripts({ memoryLimitBytes: 4 * 1024 * 1024 });
    expect(await own.run('(o) => "x".repeat(64 * 1024 * 1024).length > 0', '{}')).toEqual({
      outcome: 'error',
      reason: 'memory',
      message: `validation_script used more than ${4 * 1024 * 1024} bytes`,
    });
    for (const hog of [
      '() => new Array(1e8).fill(0).length > 0',
      '() => new ArrayBuffer(1e9).byteLength > 0',
    ])
      expect(await own.run(hog, '{}')).toMatchObject({ outcome: 'error', reason: 'memory' });
    // The runtime is fresh afterwards: small scripts run.
    expect(await own.run('() => true', '{}')).toEqual({ outcome: 'pass', message: undefined });
    own.dispose();
  });

  it('turns deep recursion into an error, and keeps at most maxScripts runtimes', async () => {
    const own = validationScripts({ maxScripts: 2 });
    expect(await own.run('function validate(o) { return validate(o) }', '{}')).toMatchObject({
      outcome: 'error',
      reason: 'thrown',
    });
    for (let i = 0; i < 5; i++)
      expect(await own.run(`() => ${i} >= 0`, '{}')).toEqual({ outcome: 'pass', message: undefined });
    own.dispose();
  });
});
