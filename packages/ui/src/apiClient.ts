/** Why a call to the query API failed: the UI reacts to the kind, never to the message. */
export type ApiErrorKind = 'unauthorized' | 'forbidden' | 'not-found' | 'invalid' | 'unavailable';

export class ApiError extends Error {
  readonly kind: ApiErrorKind;
  readonly status: number;
  constructor(kind: ApiErrorKind, status: number, message: string) {
    super(message);
    this.kind = kind;
    this.status = status;
  }
}

const kindOf = (status: number): ApiErrorKind =>
  status === 401
    ? 'unauthorized'
    : status === 403
      ? 'forbidden'
      : status === 404
        ? 'not-found'
        : status >= 400 && status < 500
          ? 'invalid'
          : 'unavailable';

export interface KeyStore {
  get(): string | null;
  set(key: string | null): void;
}

const keyName = 'llmp.apiKey';

/**
 * The API key of this browser tab, in sessionStorage: gone when the tab closes, never in a cookie.
 * @example sessionKeyStore(window.sessionStorage).set('my-key')
 */
export function sessionKeyStore(storage: Storage): KeyStore {
  return {
    get: () => storage.getItem(keyName),
    set: (key) => (key === null ? storage.removeItem(keyName) : storage.setItem(keyName, key)),
  };
}

export interface ApiClient {
  /** GETs a JSON resource of the query API; rejects with an ApiError. */
  get<T>(path: string, signal?: AbortSignal): Promise<T>;
  /** POSTs (or PATCHes) a JSON body; rejects with an ApiError (409 for an illegal transition). */
  send<T>(method: 'POST' | 'PATCH', path: string, body?: unknown, options?: { ifMatch?: number }): Promise<T>;
}

/**
 * Reads the query API with the tab's key as a bearer token; the API decides what the key may see.
 * @example const trace = await apiClient({ keys }).get<TraceResponse>(`/v1/traces/${id}`);
 */
export function apiClient({ keys, fetchFn = fetch }: { keys: KeyStore; fetchFn?: typeof fetch }): ApiClient {
  const call = async <T>(path: string, init: RequestInit, ifMatch?: number): Promise<T> => {
    const key = keys.get();
    const headers: Record<string, string> = { accept: 'application/json' };
    if (ifMatch !== undefined) headers['if-match'] = `"${ifMatch}"`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    if (key) headers.authorization = `Bearer ${key}`;
    let response: Response;
    try {
      response = await fetchFn(path, { ...init, headers });
    } catch (error) {
      if ((error as Error).name === 'AbortError') throw error;
      throw new ApiError('unavailable', 0, `the query API did not answer: ${(error as Error).message}`);
    }
    if (!response.ok) {
      let detail = response.statusText;
      try {
        const body = (await response.json()) as { title?: string; detail?: string };
        detail = [body.title, body.detail].filter(Boolean).join(': ') || detail;
      } catch {
        // Not a problem document: keep the status text.
      }
      throw new ApiError(kindOf(response.status), response.status, detail);
    }
    return (await response.json()) as T;
  };
  return {
    get: <T>(path: string, signal?: AbortSignal) => call<T>(path, signal ? { signal } : {}),
    send: <T>(
      method: 'POST' | 'PATCH',
      path: string,
      body?: unknown,
      { ifMatch }: { ifMatch?: number } = {},
    ) => call<T>(path, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) }, ifMatch),
  };
}
