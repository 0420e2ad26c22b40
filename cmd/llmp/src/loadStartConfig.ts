import { type Env, loadConfig } from '@llmp/pipeline';
import { type AllInOneConfig, allInOneConfig } from './allInOneConfig.ts';
import { authenticateFrom } from './authenticateFrom.ts';

/** Where `llmp start` listens when auth is off and the config names no endpoint. */
export const localOnlyDefaults = [
  'receivers.otlp.grpc.endpoint=127.0.0.1:4317',
  'receivers.otlp.http.endpoint=127.0.0.1:4318',
  'query.endpoint=127.0.0.1:8080',
] as const;

export interface StartConfig {
  config: AllInOneConfig;
  /** Auth is off, so endpoints the config leaves unset listen on 127.0.0.1 only. */
  localOnly: boolean;
}

/**
 * The `llmp start` config. Without API keys (config or LLMP_API_KEYS) anyone who reaches a port
 * may write and read every trace, so endpoints the config does not name bind 127.0.0.1 (as the
 * Collector's default host is localhost); the deploy presets say 0.0.0.0 explicitly.
 * @example const { config, localOnly } = loadStartConfig({ file: undefined, env: process.env });
 */
export function loadStartConfig({
  file,
  env,
  set = [],
}: {
  file: string | undefined;
  env: Env;
  set?: readonly string[];
}): StartConfig {
  const config = loadConfig({ schema: allInOneConfig, file, env, set });
  if (authenticateFrom(config.auth, env).keys > 0) return { config, localOnly: false };
  return {
    config: loadConfig({ schema: allInOneConfig, file, env, set, defaults: localOnlyDefaults }),
    localOnly: true,
  };
}
