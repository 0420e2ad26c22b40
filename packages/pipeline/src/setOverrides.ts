import { parse as parseYaml } from 'yaml';
import { ConfigError } from './configError.ts';

export interface SetOverride {
  path: string[];
  value: unknown;
}

/**
 * Parses one `--set key.path=value`, as the Collector's `--set`: the value is read as YAML, so
 * `5318` is a number, `true` a boolean, `[otlp, kafka]` a list and `'5318'` a string.
 * @example parseSet('receivers.otlp.http.endpoint=127.0.0.1:5318')
 */
export function parseSet(item: string): SetOverride {
  const at = item.indexOf('=');
  const key = at < 0 ? '' : item.slice(0, at).trim();
  const path = key.split('.');
  if (at < 0 || key === '' || path.some((part) => part === '')) {
    throw new ConfigError(
      `--set "${item}": write it as key.path=value, e.g. receivers.otlp.http.endpoint=127.0.0.1:5318`,
    );
  }
  const text = item.slice(at + 1);
  let value: unknown;
  try {
    value = text.trim() === '' ? '' : parseYaml(text);
  } catch {
    value = text;
  }
  return { path, value: value ?? '' };
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Applies `--set` overrides to a parsed config tree, in order (a later one wins), making the
 * mappings on the way; a key below a value that is not a mapping is a ConfigError.
 * @example applySet({ receivers: {} }, ['receivers.otlp.http.endpoint=127.0.0.1:5318'])
 */
export function applySet(tree: Record<string, unknown>, items: readonly string[]): Record<string, unknown> {
  const root: Record<string, unknown> = structuredClone(tree);
  for (const item of items) {
    const { path, value } = parseSet(item);
    let node = root;
    for (const [i, part] of path.slice(0, -1).entries()) {
      const child = node[part];
      if (child === undefined || child === null) node[part] = {};
      else if (!isPlainObject(child)) {
        throw new ConfigError(`--set "${item}": ${path.slice(0, i + 1).join('.')} is not a mapping`);
      }
      node = node[part] as Record<string, unknown>;
    }
    node[path.at(-1)!] = value;
  }
  return root;
}

/**
 * Applies `key.path=value` items only where the tree has no value at that path: defaults that
 * depend on the process (e.g. `llmp start` binding 127.0.0.1 with auth off), under the file.
 * @example applyDefaults({ query: { endpoint: '0.0.0.0:8080' } }, ['query.endpoint=127.0.0.1:8080']) // file wins
 */
export function applyDefaults(
  tree: Record<string, unknown>,
  items: readonly string[],
): Record<string, unknown> {
  const absent = items.filter((item) => {
    let node: unknown = tree;
    for (const part of parseSet(item).path) {
      if (!isPlainObject(node) || node[part] === undefined || node[part] === null) return true;
      node = node[part];
    }
    return false;
  });
  return applySet(tree, absent);
}
