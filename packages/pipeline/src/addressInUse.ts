import { ConfigError } from './configError.ts';

/** The port an "address in use" failure names (Node's EADDRINUSE, or grpc-js's message), if any. */
function inUsePort(error: unknown): number | undefined | false {
  const e = error as (NodeJS.ErrnoException & { port?: number }) | undefined;
  const text = String(e?.message ?? '');
  if (e?.code !== 'EADDRINUSE' && !text.includes('EADDRINUSE')) return false;
  if (typeof e?.port === 'number') return e.port;
  // grpc-js reports "No address added … [listen EADDRINUSE: address already in use 0.0.0.0:4317]".
  const match = /EADDRINUSE[^\]]*?:(\d{1,5})\b/.exec(text);
  return match ? Number(match[1]) : undefined;
}

/** `key → host:port` of every listen address in a config (keys named `endpoint`). */
function endpoints(config: unknown, path: string): Array<[string, string]> {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) return [];
  return Object.entries(config).flatMap(([key, value]): Array<[string, string]> => {
    const at = `${path}.${key}`;
    if (key === 'endpoint' && typeof value === 'string') return [[at, value]];
    return endpoints(value, at);
  });
}

/**
 * Turns a listener's "address in use" failure into a ConfigError that names the config key to
 * change; undefined for any other error.
 * @example throw addressInUse(error, 'receivers.otlp', config.receivers.otlp) ?? error;
 */
export function addressInUse(error: unknown, path: string, config: unknown): ConfigError | undefined {
  const port = inUsePort(error);
  if (port === false) return undefined;
  const candidates = endpoints(config, path);
  const match =
    candidates.find(([, value]) => port !== undefined && value.endsWith(`:${port}`)) ??
    (candidates.length === 1 ? candidates[0] : undefined);
  if (!match) {
    return new ConfigError(
      `${path}: an address it listens on is in use; change it in the config or with --set`,
    );
  }
  const [key, value] = match;
  return new ConfigError(
    `${key} ${value} is in use; change it in the config or with --set ${key}=<host:port>`,
  );
}
