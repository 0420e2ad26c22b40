/** What a key may do: send spans, read the project's data, or both and change it. */
export type Role = 'ingest' | 'read' | 'admin';

/** Who sent a request, once authenticated: the project its data belongs to and its role. */
export interface Caller {
  projectId: string;
  role: Role;
}

export type AuthOutcome =
  | { ok: true; caller: Caller }
  | { ok: false; reason: 'unauthenticated' | 'forbidden'; message: string };

/**
 * Resolves a presented credential (an API key, or undefined when none was sent) to a caller
 * allowed to act as `need`. Implemented by `@llmp/auth`; handed to components by `cmd/`.
 */
export type Authenticate = (credential: string | undefined, need: Role) => AuthOutcome;

/** Without keys every request is the `default` project with every right (DESIGN: tenancy). */
export const openAccess: Authenticate = () => ({ ok: true, caller: { projectId: 'default', role: 'admin' } });

/**
 * The API key of a request: `Authorization: Bearer <key>` or `x-llmp-api-key: <key>`.
 * @example credentialOf((name) => request.headers.get(name) ?? undefined)
 */
export function credentialOf(header: (name: string) => string | undefined): string | undefined {
  const bearer = /^\s*bearer\s+(\S+)\s*$/i.exec(header('authorization') ?? '');
  if (bearer) return bearer[1];
  const key = header('x-llmp-api-key')?.trim();
  return key ? key : undefined;
}
