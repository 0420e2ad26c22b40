import { createHash, timingSafeEqual } from 'node:crypto';
import { type Authenticate, openAccess, type Role } from '@llmp/pipeline';
import type { ApiKeyEntry } from './apiKeysConfig.ts';

const allows: Record<Role, ReadonlyArray<Role>> = {
  ingest: ['ingest'],
  read: ['read'],
  admin: ['ingest', 'read', 'admin'],
};

/**
 * Checks API keys against their configured sha256 hashes. The presented key is hashed and
 * compared with every configured hash in constant time (no early exit), so neither the key nor
 * which entry matched leaks through timing. Without keys, access is open (project `default`).
 * @example const authenticate = apiKeyAuthenticator(config.auth.apiKeys); authenticate(key, 'read');
 */
export function apiKeyAuthenticator(keys: ReadonlyArray<ApiKeyEntry>): Authenticate {
  if (keys.length === 0) return openAccess;
  return (credential, need) => {
    if (credential === undefined)
      return {
        ok: false,
        reason: 'unauthenticated',
        message: 'an API key is required (Authorization: Bearer <key> or x-llmp-api-key)',
      };
    const presented = createHash('sha256').update(credential, 'utf8').digest();
    let found: ApiKeyEntry | undefined;
    for (const key of keys) {
      if (timingSafeEqual(presented, key.sha256) && !found) found = key;
    }
    if (!found) return { ok: false, reason: 'unauthenticated', message: 'unknown API key' };
    if (!allows[found.role].includes(need))
      return {
        ok: false,
        reason: 'forbidden',
        message: `this key has role ${found.role}, which may not ${need}`,
      };
    return { ok: true, caller: { projectId: found.projectId, role: found.role } };
  };
}

/**
 * The config form of a key: what to put in `auth.apiKeys` or `LLMP_API_KEYS` for it.
 * @example apiKeyLine('s3cret', 'acme', 'ingest') // 'sha256:…=acme:ingest'
 */
export function apiKeyLine(key: string, projectId: string, role: Role): string {
  return `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}=${projectId}:${role}`;
}
