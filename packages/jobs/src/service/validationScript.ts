import variant from '@jitl/quickjs-wasmfile-release-sync';
import {
  newQuickJSWASMModuleFromVariant,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSRuntime,
  type QuickJSWASMModule,
} from 'quickjs-emscripten-core';

/**
 * What a job's `validation_script` said about one output.
 * - `pass` / `fail`: the script's verdict, with its message when it gave one;
 * - `error`: the script could not give one (`reason` says why); it counts as a failed check.
 */
export type ScriptVerdict =
  | { outcome: 'pass' | 'fail'; message: string | undefined }
  | { outcome: 'error'; reason: ScriptErrorReason; message: string };

/**
 * compile: no usable `validate` function (syntax error, top level threw or ran too long);
 * thrown: the function threw; timeout / memory: past a bound; result: not a boolean or
 * `{valid, message}`; disabled: timed out `disableAfterTimeouts` times in a row, not run for a while;
 * sandbox: the engine itself failed (it is loaded anew for the next run).
 */
export type ScriptErrorReason =
  | 'compile'
  | 'thrown'
  | 'timeout'
  | 'memory'
  | 'result'
  | 'disabled'
  | 'sandbox';

export type ScriptCompileResult = { ok: true } | { ok: false; message: string };

export interface ValidationScriptOptions {
  /** Time one run may take. */
  timeoutMs?: number;
  /**
   * Time a script's top level may take when it is loaded (once per runtime; longer than a run's,
   * as the engine's first code runs slowly while its WebAssembly is compiled).
   */
  loadTimeoutMs?: number;
  /** Heap of one script's runtime (QuickJS `JS_SetMemoryLimit`). */
  memoryLimitBytes?: number;
  /** Stack one run may use (deep recursion is an error, not a crash). */
  maxStackBytes?: number;
  /** Scripts kept loaded (one runtime each; least recently used goes first). */
  maxScripts?: number;
  /** After this many timeouts in a row a script is not run (verdict `disabled`)... */
  disableAfterTimeouts?: number;
  /** ...for this long, so a looping script costs at most a few timeouts a minute. */
  disabledForMs?: number;
  now?: () => number;
}

export interface ValidationScripts {
  /** Loads the script as a run would: a syntax error or no `validate` function is a message. */
  compile(source: string): Promise<ScriptCompileResult>;
  /** Runs the script on an output text (JSON is parsed) and the job input text (JSON, optional). */
  run(source: string, output: string, input?: string): Promise<ScriptVerdict>;
  /** Frees every runtime; later calls load again. */
  dispose(): void;
}

const maxMessage = 1000;

// Evaluated in each runtime before the user's script, so the script cannot replace what the
// runner relies on (JSON.parse, String) before the runner captured them. The runner turns the
// script's answer into one short string inside the sandbox (a string is the cheapest value to
// read out): "P" or "F" then the message, "p" / "f" without one, "E" then what was returned.
const runnerFactory = `(() => {
  const parse = JSON.parse, text = String;
  const value = (t) => { try { return parse(t); } catch { return t; } };
  globalThis.console = { log() {}, info() {}, warn() {}, error() {}, debug() {} };
  return (fn) => (output, input) => {
    const r = fn(value(output), input === undefined ? null : value(input), output);
    if (r === true) return 'p';
    if (r === false) return 'f';
    if (r !== null && typeof r === 'object' && typeof r.then === 'function') return 'Ea Promise';
    if (r !== null && typeof r === 'object' && typeof r.valid === 'boolean') {
      const m = r.message;
      if (m === undefined || m === null) return r.valid ? 'p' : 'f';
      return (r.valid ? 'P' : 'F') + text(m).slice(0, ${maxMessage});
    }
    return 'E' + (r === null ? 'null' : typeof r);
  };
})()`;

interface Loaded {
  runtime: QuickJSRuntime;
  context: QuickJSContext;
  runner: QuickJSHandle;
}

interface Entry {
  loaded: Loaded | undefined;
  /** Why the script cannot run, when it cannot. */
  broken: string | undefined;
  timeoutsInRow: number;
  disabledUntil: number;
}

function errorText(context: QuickJSContext, handle: QuickJSHandle): string {
  const dumped = context.dump(handle) as unknown;
  if (dumped !== null && typeof dumped === 'object' && 'message' in dumped) {
    const { name, message } = dumped as { name?: unknown; message?: unknown };
    return `${typeof name === 'string' ? `${name}: ` : ''}${String(message)}`.slice(0, maxMessage);
  }
  return `threw ${String(JSON.stringify(dumped) ?? dumped)}`.slice(0, maxMessage);
}

/**
 * Runs jobs' `validation_script`s in QuickJS compiled to WebAssembly: no file system, network,
 * process or host objects exist in there (only ECMAScript built-ins), each script has its own
 * runtime with a heap limit, and each run a deadline. Loaded scripts are kept (bounded) so a run
 * is one call into a warm runtime. The WebAssembly module is loaded on first use.
 *
 * The script contract: the script defines `function validate(output, input, text)` (or is a
 * function expression); `output` is the LLM output parsed as JSON (the text itself when it is
 * not JSON), `input` the job input (null when unknown), `text` the raw output; it returns a
 * boolean or `{ valid: boolean, message?: string }`.
 * @example const verdict = await validationScripts().run('function validate(o) { return o.ok === true }', '{"ok":true}');
 */
export function validationScripts({
  timeoutMs = 50,
  loadTimeoutMs = 1000,
  memoryLimitBytes = 16 * 1024 * 1024,
  maxStackBytes = 256 * 1024,
  maxScripts = 16,
  disableAfterTimeouts = 3,
  disabledForMs = 60_000,
  now = Date.now,
}: ValidationScriptOptions = {}): ValidationScripts {
  let module: Promise<QuickJSWASMModule> | undefined;
  const entries = new Map<string, Entry>();
  let deadline = 0;
  let interrupted = false;

  function free(loaded: Loaded | undefined): void {
    if (!loaded) return;
    loaded.runner.dispose();
    loaded.context.dispose();
    loaded.runtime.dispose();
  }

  function load(quickjs: QuickJSWASMModule, source: string): Loaded | string {
    const runtime = quickjs.newRuntime();
    runtime.setMemoryLimit(memoryLimitBytes);
    runtime.setMaxStackSize(maxStackBytes);
    runtime.setInterruptHandler(() => {
      if (now() <= deadline) return false;
      interrupted = true;
      return true;
    });
    const context = runtime.newContext();
    const handles: QuickJSHandle[] = [];
    const fail = (message: string): string => {
      for (const h of handles) h.dispose();
      context.dispose();
      runtime.dispose();
      return message;
    };
    // The runner is ours, not the script's: it gets a generous deadline (the engine's first code
    // may run slowly while the WebAssembly is being compiled), and failing to load it is the
    // engine failing (thrown: the caller drops the engine), not something wrong with the script.
    deadline = now() + Math.max(loadTimeoutMs, 2000);
    interrupted = false;
    const factory = context.evalCode(runnerFactory, 'llmp-runner.js');
    if (factory.error) {
      const message = errorText(context, factory.error);
      factory.error.dispose();
      fail('');
      throw new Error(`the runner did not load: ${message}`);
    }
    handles.push(factory.value);
    deadline = now() + loadTimeoutMs;
    interrupted = false;
    const completion = context.evalCode(source, 'validation_script.js', { type: 'global' });
    if (completion.error) {
      handles.push(completion.error);
      const why = interrupted
        ? `its top level ran past ${loadTimeoutMs} ms`
        : errorText(context, completion.error);
      return fail(`validation_script does not load: ${why}`);
    }
    handles.push(completion.value);
    let fn = completion.value;
    if (context.typeof(fn) !== 'function') {
      fn = context.getProp(context.global, 'validate');
      handles.push(fn);
      if (context.typeof(fn) !== 'function')
        return fail(
          'validation_script must define function validate(output, input) or be a function expression',
        );
    }
    const runner = context.callFunction(factory.value, context.undefined, fn);
    if (runner.error) {
      const message = errorText(context, runner.error);
      runner.error.dispose();
      fail('');
      throw new Error(`the runner did not start: ${message}`);
    }
    for (const h of handles) h.dispose();
    return { runtime, context, runner: runner.value };
  }

  function entryFor(quickjs: QuickJSWASMModule, source: string): Entry {
    let entry = entries.get(source);
    if (entry) {
      // Most recently used last: the Map's first key is the one to drop.
      entries.delete(source);
      entries.set(source, entry);
    } else {
      entry = { loaded: undefined, broken: undefined, timeoutsInRow: 0, disabledUntil: 0 };
      entries.set(source, entry);
      for (const [key, old] of entries) {
        if (entries.size <= maxScripts) break;
        free(old.loaded);
        entries.delete(key);
      }
    }
    if (!entry.loaded && entry.broken === undefined) {
      const loaded = load(quickjs, source);
      if (typeof loaded === 'string') entry.broken = loaded;
      else entry.loaded = loaded;
    }
    return entry;
  }

  function execute(entry: Entry, output: string, input: string | undefined): ScriptVerdict {
    const { context, runner } = entry.loaded!;
    const args = [
      context.newString(output),
      input === undefined ? context.undefined : context.newString(input),
    ];
    deadline = now() + timeoutMs;
    interrupted = false;
    const result = context.callFunction(runner, context.undefined, ...args);
    for (const a of args) a.dispose();
    if (result.error) {
      const message = errorText(context, result.error);
      result.error.dispose();
      if (interrupted) {
        // The runtime may hold the half-done run's state: start the next run from a fresh one.
        free(entry.loaded);
        entry.loaded = undefined;
        entry.timeoutsInRow++;
        if (entry.timeoutsInRow >= disableAfterTimeouts) entry.disabledUntil = now() + disabledForMs;
        return { outcome: 'error', reason: 'timeout', message: `validation_script ran past ${timeoutMs} ms` };
      }
      entry.timeoutsInRow = 0;
      if (/out of memory/i.test(message)) {
        free(entry.loaded);
        entry.loaded = undefined;
        return {
          outcome: 'error',
          reason: 'memory',
          message: `validation_script used more than ${memoryLimitBytes} bytes`,
        };
      }
      return { outcome: 'error', reason: 'thrown', message: `validation_script threw ${message}` };
    }
    entry.timeoutsInRow = 0;
    const answer = context.getString(result.value);
    result.value.dispose();
    const kind = answer[0];
    if (kind === 'E')
      return {
        outcome: 'error',
        reason: 'result',
        message: `validation_script returned ${answer.slice(1)}, not a boolean or {valid, message}`,
      };
    const message = kind === 'P' || kind === 'F' ? answer.slice(1) : undefined;
    return { outcome: kind === 'p' || kind === 'P' ? 'pass' : 'fail', message };
  }

  /**
   * Runs `work` on the engine. An exception out of the engine (not out of the script: those are
   * values) means the WebAssembly instance may be unusable, e.g. the host's stack ran out inside
   * it; it is dropped whole, without freeing into it, and loaded anew on next use.
   */
  async function guarded<T>(
    work: (quickjs: QuickJSWASMModule) => T,
    failed: (message: string) => T,
  ): Promise<T> {
    // Typed as the CommonJS module ({default}), the ES module's default at run time: the
    // library accepts either once wrapped in a promise.
    module ??= newQuickJSWASMModuleFromVariant(Promise.resolve(variant));
    const quickjs = await module;
    try {
      return work(quickjs);
    } catch (error) {
      module = undefined;
      entries.clear();
      return failed(`the sandbox failed (${String((error as Error)?.message ?? error).slice(0, 200)})`);
    }
  }

  return {
    compile(source) {
      return guarded<ScriptCompileResult>(
        (quickjs) => {
          const entry = entryFor(quickjs, source);
          return entry.broken === undefined ? { ok: true } : { ok: false, message: entry.broken };
        },
        (message) => ({ ok: false, message }),
      );
    },

    run(source, output, input) {
      return guarded<ScriptVerdict>(
        (quickjs) => {
          const known = entries.get(source);
          if (known && known.disabledUntil > now())
            return {
              outcome: 'error',
              reason: 'disabled',
              message: `validation_script not run: it ran past ${timeoutMs} ms ${known.timeoutsInRow} times in a row`,
            };
          const entry = entryFor(quickjs, source);
          if (entry.broken !== undefined)
            return { outcome: 'error', reason: 'compile', message: entry.broken };
          return execute(entry, output, input);
        },
        (message) => ({ outcome: 'error', reason: 'sandbox', message }),
      );
    },

    dispose() {
      try {
        for (const entry of entries.values()) free(entry.loaded);
      } catch {
        module = undefined;
      }
      entries.clear();
    },
  };
}
