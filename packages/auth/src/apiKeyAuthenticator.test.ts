import { describe, expect, it } from 'vitest';
import { apiKeyAuthenticator, apiKeyLine } from './apiKeyAuthenticator.ts';
import { apiKeysConfig } from './apiKeysConfig.ts';

const config = apiKeysConfig.parse({
  apiKeys: [
    apiKeyLine('acme-in', 'acme', 'ingest'),
    apiKeyLine('acme-rd', 'acme', 'read'),
    apiKeyLine('boss', 'globex', 'admin'),
  ].join(','),
});
const authenticate = apiKeyAuthenticator(config.apiKeys);

describe('apiKeyAuthenticator', () => {
  it('is open access on project default without keys', () => {
    expect(apiKeyAuthenticator([])(undefined, 'admin')).toEqual({
      ok: true,
      caller: { projectId: 'default', role: 'admin' },
    });
  });

  it('maps a key to its project and role, and refuses a role it lacks', () => {
    expect(authenticate('acme-in', 'ingest')).toEqual({
      ok: true,
      caller: { projectId: 'acme', role: 'ingest' },
    });
    expect(authenticate('acme-in', 'read')).toMatchObject({ ok: false, reason: 'forbidden' });
    expect(authenticate('acme-rd', 'read')).toEqual({
      ok: true,
      caller: { projectId: 'acme', role: 'read' },
    });
    expect(authenticate('acme-rd', 'ingest')).toMatchObject({ ok: false, reason: 'forbidden' });
    for (const need of ['ingest', 'read', 'admin'] as const)
      expect(authenticate('boss', need)).toEqual({
        ok: true,
        caller: { projectId: 'globex', role: 'admin' },
      });
  });

  it('refuses a missing key, an unknown key, and the hash itself presented as a key', () => {
    expect(authenticate(undefined, 'read')).toMatchObject({ ok: false, reason: 'unauthenticated' });
    expect(authenticate('acme-i', 'ingest')).toMatchObject({ ok: false, reason: 'unauthenticated' });
    const hash = apiKeyLine('acme-in', 'acme', 'ingest').slice('sha256:'.length, 'sha256:'.length + 64);
    expect(authenticate(hash, 'ingest')).toMatchObject({ ok: false, reason: 'unauthenticated' });
  });
});

describe('apiKeysConfig', () => {
  it('takes a list or a comma string, upper- or lower-case hex', () => {
    const line = apiKeyLine('k', 'p', 'read');
    const upper = `sha256:${line.slice(7, 71).toUpperCase()}=p:read`;
    const parsed = apiKeysConfig.parse({ apiKeys: [line, upper] }).apiKeys;
    expect(parsed.map((k) => [k.projectId, k.role])).toEqual([
      ['p', 'read'],
      ['p', 'read'],
    ]);
    expect(parsed[0]!.sha256.equals(parsed[1]!.sha256)).toBe(true);
    expect(apiKeysConfig.parse({}).apiKeys).toEqual([]);
    expect(apiKeysConfig.parse({ apiKeys: '' }).apiKeys).toEqual([]);
  });

  it('refuses a plain key, a short hash, a bad project or role, with a message', () => {
    for (const bad of [
      's3cret',
      'sha256:abcd=p:read',
      `sha256:${'a'.repeat(64)}=p:write`,
      `sha256:${'a'.repeat(64)}=:read`,
    ]) {
      const result = apiKeysConfig.safeParse({ apiKeys: [bad] });
      expect(result.success, bad).toBe(false);
      expect(result.error?.issues[0]?.message).toContain('is not sha256:<64 hex digits>');
    }
  });
});
