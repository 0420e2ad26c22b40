/** What these helpers need of a Hono app. */
export interface RequestableApp {
  request(path: string, init?: RequestInit): Response | Promise<Response>;
}

/**
 * JSON requests against an in-process query app (Hono's `app.request`), for the job suites.
 * @example const api = jobsApi(app); const { status, body } = await api.post('/v1/jobs', { name: 'x' });
 */
export interface JsonAnswer {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: test bodies are read field by field
  body: any;
}

export interface JobsApi {
  get(path: string): Promise<JsonAnswer>;
  post(path: string, body?: unknown, headers?: Record<string, string>): Promise<JsonAnswer>;
  patch(path: string, body: unknown, headers?: Record<string, string>): Promise<JsonAnswer>;
}

export function jobsApi(app: RequestableApp): JobsApi {
  const send = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await app.request(path, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  };
  return {
    get: (path: string) => send('GET', path),
    post: (path: string, body?: unknown, headers?: Record<string, string>) =>
      send('POST', path, body, headers),
    patch: (path: string, body: unknown, headers?: Record<string, string>) =>
      send('PATCH', path, body, headers),
  };
}
