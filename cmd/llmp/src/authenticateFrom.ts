import { type ApiKeysConfig, apiKeyAuthenticator, apiKeysConfig } from '@llmp/auth';
import { type Authenticate, ConfigError, type Env } from '@llmp/pipeline';

/**
 * The process's key check: the keys of the config's `auth.apiKeys` plus those of `LLMP_API_KEYS`
 * (same `sha256:<hex>=<project>:<role>` comma list). No keys anywhere → open access, project `default`.
 * @example const authenticate = authenticateFrom(config.auth, process.env);
 */
export function authenticateFrom(
  auth: ApiKeysConfig,
  env: Env,
): { authenticate: Authenticate; keys: number } {
  const fromEnv = apiKeysConfig.safeParse({ apiKeys: env.LLMP_API_KEYS ?? '' });
  if (!fromEnv.success) {
    throw new ConfigError(`LLMP_API_KEYS: ${fromEnv.error.issues.map((i) => i.message).join('; ')}`);
  }
  // The presets also read LLMP_API_KEYS into auth.apiKeys: count each entry once.
  const unique = new Map(
    [...auth.apiKeys, ...fromEnv.data.apiKeys].map((k) => [
      `${k.sha256.toString('hex')}=${k.projectId}:${k.role}`,
      k,
    ]),
  );
  const keys = [...unique.values()];
  return { authenticate: apiKeyAuthenticator(keys), keys: keys.length };
}
