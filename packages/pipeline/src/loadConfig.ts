import { readFileSync } from 'node:fs';
import { parseDocument, parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from './configError.ts';
import { applyDefaults, applySet } from './setOverrides.ts';

export type Env = Record<string, string | undefined>;

// `${env:VAR}`, `${env:VAR:-default}` and `${file:/path}`, as the Collector's confmap env and file providers.
const wholeReference = /^\$\{(?:env:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?|file:([^}]+))\}$/;
const anyReference = /\$\$|\$\{(?:env:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?|file:([^}]+))\}/g;

function lookup(env: Env, name: string, fallback: string | undefined): string {
  const value = env[name];
  // `${env:X:-d}` takes d when X is unset or empty, as in a POSIX shell.
  if (value === undefined || value === '') return fallback ?? '';
  return value;
}

/**
 * The content of a `${file:…}` secret, without the one trailing newline editors and
 * `kubectl create secret --from-file` leave; the error names the key and the path, never content.
 */
function readSecret(file: string, path: string): string {
  try {
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(`${path || 'value'}: cannot read \${file:${file}} (${code})`);
  }
}

/** An expanded value with its YAML type, or verbatim when it is not YAML (as the Collector does). */
function yamlValue(value: string): unknown {
  try {
    return parseYaml(value) ?? value;
  } catch {
    return value;
  }
}

/**
 * Replaces `${env:VAR}`, `${env:VAR:-default}` and `${file:/path}` in every string of a parsed
 * YAML tree, the way the OpenTelemetry Collector does: a value that is only an env reference
 * takes the YAML type of what it expands to (`port: ${env:PORT}` is a number), `$$` is a
 * literal `$`. A file reference is always a string (it holds secrets: a password of digits
 * stays a password), read at start; a missing file is a ConfigError naming key and path.
 * @example expandEnv({ url: '${env:CLICKHOUSE_URL:-}', password: '${file:/run/secrets/ch}' }, process.env)
 */
export function expandEnv(node: unknown, env: Env, path = ''): unknown {
  if (typeof node === 'string') {
    const whole = wholeReference.exec(node);
    if (whole) {
      if (whole[3] !== undefined) return readSecret(whole[3], path);
      const value = lookup(env, whole[1]!, whole[2]);
      // Nothing to expand to means the key is unset, so the component's default applies.
      if (value === '') return undefined;
      return yamlValue(value);
    }
    // `$$` is an escaped `$`, so `$${x}` is the literal text `${x}`, not a reference.
    if (/\$\{(?!env:|file:)/.test(node.replace(/\$\$/g, ''))) {
      throw new ConfigError(
        `${path || 'value'}: unsupported reference in "${node}" (use \${env:VAR} or \${file:/path})`,
      );
    }
    return node.replace(
      anyReference,
      (match, name: string | undefined, fallback: string | undefined, file: string | undefined) => {
        if (match === '$$') return '$';
        if (file !== undefined) return readSecret(file, path);
        return lookup(env, name!, fallback);
      },
    );
  }
  if (Array.isArray(node)) return node.map((item, i) => expandEnv(item, env, `${path}[${i}]`));
  if (node !== null && typeof node === 'object') {
    return Object.fromEntries(
      Object.entries(node).map(([key, value]) => [key, expandEnv(value, env, path ? `${path}.${key}` : key)]),
    );
  }
  return node;
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `  - ${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('\n');
}

export interface LoadConfigOptions<T> {
  schema: z.ZodType<T>;
  /** Path of the YAML file; absent means "all defaults". */
  file?: string | undefined;
  /** YAML text, instead of a file (tests). */
  text?: string;
  env?: Env;
  /** `--set key.path=value` overrides, applied over the file in order. */
  set?: readonly string[];
  /** `key.path=value` defaults applied only where the file has no value (under the file and --set). */
  defaults?: readonly string[];
}

/**
 * Reads a YAML config, expands environment references and validates it, failing fast with a
 * message that names every wrong key.
 * @example const config = loadConfig({ schema: startConfig, file: '/etc/llmp.yaml', env: process.env });
 */
export function loadConfig<T>({
  schema,
  file,
  text,
  env = process.env,
  set = [],
  defaults = [],
}: LoadConfigOptions<T>): T {
  const source = file ?? 'config';
  let raw = text ?? '';
  if (file !== undefined) {
    try {
      raw = readFileSync(file, 'utf8');
    } catch (error) {
      throw new ConfigError(`cannot read config file ${file}: ${(error as Error).message}`);
    }
  }
  const document = parseDocument(raw, { prettyErrors: true });
  if (document.errors.length > 0) {
    throw new ConfigError(
      `${source} is not valid YAML:\n${document.errors.map((e) => `  - ${e.message}`).join('\n')}`,
    );
  }
  const tree = document.toJS() ?? {};
  if (typeof tree !== 'object' || Array.isArray(tree)) {
    throw new ConfigError(`${source}: the top level must be a mapping of sections`);
  }
  const expanded = expandEnv(applySet(applyDefaults(tree, defaults), set), env);
  const result = schema.safeParse(expanded);
  if (!result.success) throw new ConfigError(`${source} is invalid:\n${describeIssues(result.error)}`);
  const unknown = strippedKeys(expanded, result.data);
  if (unknown.length > 0) {
    // As the Collector does: a misspelt key must not silently fall back to a default.
    throw new ConfigError(
      `${source} is invalid:\n${unknown.map((key) => `  - ${key}: unknown key`).join('\n')}`,
    );
  }
  return result.data;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Keys of the input that validation dropped: zod objects strip what their schema does not name,
 * so a key present in the input and absent from the output is one no component reads.
 * @example strippedKeys({ a: 1, b: 2 }, { a: 1 }) // ['b']
 */
export function strippedKeys(input: unknown, output: unknown, path = ''): string[] {
  if (!isPlainObject(input) || !isPlainObject(output)) return [];
  const found: string[] = [];
  for (const [key, value] of Object.entries(input)) {
    const at = path ? `${path}.${key}` : key;
    if (value === undefined) continue;
    if (!(key in output)) found.push(at);
    else found.push(...strippedKeys(value, output[key], at));
  }
  return found;
}
