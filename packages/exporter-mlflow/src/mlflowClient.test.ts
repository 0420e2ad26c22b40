import { ExportError } from '@llmp/pipeline';
import { describe, expect, it } from 'vitest';
import { mlflowClient } from './mlflowClient.ts';

interface Seen {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
}

/** A fetch that answers from a route table and records every request. */
function fakeFetch(routes: Record<string, (seen: Seen) => Response | Promise<Response>>) {
  const seen: Seen[] = [];
  const impl = (async (input: string | URL, init?: RequestInit) => {
    const url = new URL(String(input));
    const request: Seen = {
      method: init?.method ?? 'GET',
      path: url.pathname + url.search,
      headers: Object.fromEntries(Object.entries((init?.headers as Record<string, string>) ?? {})),
      body: typeof init?.body === 'string' ? JSON.parse(init.body) : init?.body,
    };
    seen.push(request);
    const route = routes[`${request.method} ${url.pathname}`];
    if (!route) return new Response('{"error_code":"ENDPOINT_NOT_FOUND"}', { status: 404 });
    return route(request);
  }) as typeof fetch;
  return { impl, seen };
}

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

const notFound = () => json({ error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'no' }, 404);

async function failure(promise: Promise<unknown>): Promise<ExportError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ExportError);
    return error as ExportError;
  }
  throw new Error('expected a failure');
}

describe('mlflowClient', () => {
  it('creates a missing experiment once and remembers its id', async () => {
    const { impl, seen } = fakeFetch({
      'GET /api/2.0/mlflow/experiments/get-by-name': notFound,
      'POST /api/2.0/mlflow/experiments/create': () => json({ experiment_id: '12' }),
    });
    const mlflow = mlflowClient({
      trackingUri: 'http://mlflow:5000/',
      fetch: impl,
      headers: { authorization: 'Bearer t' },
    });
    expect(await mlflow.experimentId('llmp traces')).toBe('12');
    expect(await mlflow.experimentId('llmp traces')).toBe('12');
    expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual([
      'GET /api/2.0/mlflow/experiments/get-by-name?experiment_name=llmp%20traces',
      'POST /api/2.0/mlflow/experiments/create',
    ]);
    expect(seen[1]!.body).toEqual({ name: 'llmp traces' });
    expect(seen.every((s) => s.headers.authorization === 'Bearer t')).toBe(true);
  });

  it('reads the experiment back when another process created it first', async () => {
    let lookups = 0;
    const { impl } = fakeFetch({
      'GET /api/2.0/mlflow/experiments/get-by-name': () =>
        ++lookups === 1 ? notFound() : json({ experiment: { experiment_id: '3' } }),
      'POST /api/2.0/mlflow/experiments/create': () =>
        json({ error_code: 'RESOURCE_ALREADY_EXISTS', message: 'exists' }, 400),
    });
    expect(await mlflowClient({ trackingUri: 'http://mlflow', fetch: impl }).experimentId('x')).toBe('3');
  });

  it('sends OTLP protobuf with the experiment header', async () => {
    const { impl, seen } = fakeFetch({ 'POST /v1/traces': () => new Response(new Uint8Array(0)) });
    await mlflowClient({ trackingUri: 'http://mlflow', fetch: impl }).exportTraces(
      '5',
      new Uint8Array([1, 2]),
    );
    expect(seen[0]!.headers).toMatchObject({
      'content-type': 'application/x-protobuf',
      'x-mlflow-experiment-id': '5',
    });
    expect(seen[0]!.body).toEqual(new Uint8Array([1, 2]));
  });

  it('tells retryable answers from permanent ones', async () => {
    let status = 503;
    const { impl } = fakeFetch({
      'POST /v1/traces': () => json({ error_code: 'X', message: 'm' }, status, { 'retry-after': '2' }),
    });
    const mlflow = mlflowClient({ trackingUri: 'http://mlflow', fetch: impl });
    const unavailable = await failure(mlflow.exportTraces('1', new Uint8Array()));
    expect([unavailable.kind, unavailable.reason, unavailable.retryAfterMs]).toEqual([
      'retryable',
      'unavailable',
      2000,
    ]);
    status = 429;
    expect((await failure(mlflow.exportTraces('1', new Uint8Array()))).reason).toBe('exhausted');
    status = 400;
    const bad = await failure(mlflow.exportTraces('1', new Uint8Array()));
    expect(bad.kind).toBe('permanent');
    expect(bad.message).toContain('HTTP 400 X: m');
    const down = mlflowClient({
      trackingUri: 'http://mlflow',
      fetch: (async () => {
        throw new TypeError('fetch failed');
      }) as typeof fetch,
    });
    expect((await failure(down.exportTraces('1', new Uint8Array()))).kind).toBe('retryable');
  });

  it('finds the experiment of a trace, or nothing when MLflow lacks it, and deletes it', async () => {
    const { impl, seen } = fakeFetch({
      'GET /api/3.0/mlflow/traces/tr-ab': () =>
        json({ trace: { trace_info: { trace_location: { mlflow_experiment: { experiment_id: '9' } } } } }),
      'GET /api/3.0/mlflow/traces/tr-cd': notFound,
      'POST /api/2.0/mlflow/traces/delete-traces': () => json({ traces_deleted: 1 }),
    });
    const mlflow = mlflowClient({ trackingUri: 'http://mlflow', fetch: impl });
    expect(await mlflow.traceExperiment('tr-ab')).toBe('9');
    expect(await mlflow.traceExperiment('tr-cd')).toBeUndefined();
    await mlflow.deleteTraces('9', ['tr-ab']);
    expect(seen.at(-1)!.body).toEqual({ experiment_id: '9', request_ids: ['tr-ab'] });
  });
});
