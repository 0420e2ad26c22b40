import type { Role } from '@llmp/pipeline';
import { z } from 'zod';

/** One configured key: the sha256 of the secret (never the secret), its project and role. */
export interface ApiKeyEntry {
  /** 32 bytes: sha256 of the key as the client sends it. */
  sha256: Buffer;
  projectId: string;
  role: Role;
}

const entryPattern = /^sha256:([0-9a-fA-F]{64})=([A-Za-z0-9][A-Za-z0-9_.-]{0,63}):(ingest|read|admin)$/;

/**
 * Parses `sha256:<64 hex>=<project>:<role>`, the form used in config and in `LLMP_API_KEYS`.
 * @example apiKeyEntry('sha256:9f86…=acme:ingest') // { sha256: <Buffer>, projectId: 'acme', role: 'ingest' }
 */
export function apiKeyEntry(text: string): ApiKeyEntry | string {
  const match = entryPattern.exec(text.trim());
  if (!match) {
    return `"${text.trim().slice(0, 24)}…" is not sha256:<64 hex digits>=<project>:<ingest|read|admin>`;
  }
  return { sha256: Buffer.from(match[1]!, 'hex'), projectId: match[2]!, role: match[3] as Role };
}

const entry = z.string().transform((text, ctx) => {
  const parsed = apiKeyEntry(text);
  if (typeof parsed === 'string') {
    ctx.addIssue({ code: 'custom', message: parsed });
    return z.NEVER;
  }
  return parsed;
});

/**
 * The `auth` config section: a list of hashed keys, or one comma-separated string of them (the
 * form of `LLMP_API_KEYS`). No keys → auth is off and everything is project `default`.
 */
export const apiKeysConfig = z.object({
  apiKeys: z
    .union([z.array(z.string()), z.string()])
    .default([])
    .transform((value) =>
      (Array.isArray(value) ? value : value.split(',')).map((s) => s.trim()).filter(Boolean),
    )
    .pipe(z.array(entry)),
});

export type ApiKeysConfig = z.infer<typeof apiKeysConfig>;
