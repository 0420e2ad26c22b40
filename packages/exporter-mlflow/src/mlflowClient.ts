import { type ExportError, permanent, retryable } from '@llmp/pipeline';

/** What llmp asks of an MLflow tracking server; tests implement it in memory. */
export interface MlflowApi {
  /** The id of the experiment with this name, created when missing. */
  experimentId(name: string): Promise<string>;
  /** `POST /v1/traces`: OTLP/protobuf ExportTraceServiceRequest bytes into one experiment. */
  exportTraces(experimentId: string, body: Uint8Array): Promise<void>;
  /** Sets a tag on a trace that MLflow already has. */
  setTraceTag(mlflowTraceId: string, key: string, value: string): Promise<void>;
  /** The experiment holding the trace, or undefined when MLflow does not have it. */
  traceExperiment(mlflowTraceId: string): Promise<string | undefined>;
  /** Deletes traces of one experiment. */
  deleteTraces(experimentId: string, mlflowTraceIds: string[]): Promise<void>;
}

export interface MlflowClientOptions {
  trackingUri: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** MLflow names an OTLP trace `tr-<hex trace id>`. */
export const mlflowTraceId = (traceId: string) => `tr-${traceId.toLowerCase()}`;

function retryAfterMs(response: Response): number | undefined {
  const value = response.headers.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  return Number.isFinite(seconds) ? seconds * 1000 : undefined;
}

/** MLflow's error body: `{ error_code, message }`. */
async function errorCode(response: Response): Promise<{ code: string; message: string }> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error_code?: string; message?: string; detail?: unknown };
    return {
      code: body.error_code ?? '',
      message: body.message ?? (body.detail ? JSON.stringify(body.detail) : text),
    };
  } catch {
    return { code: '', message: text.slice(0, 500) };
  }
}

/**
 * An answer's kind: network failures, timeouts, 408, 429 and 5xx may pass; other 4xx will not.
 * @example throw await answerError(response, 'export to experiment 3')
 */
export async function answerError(response: Response, what: string): Promise<ExportError> {
  const { code, message } = await errorCode(response);
  const text = `MLflow ${what}: HTTP ${response.status}${code ? ` ${code}` : ''}: ${message.slice(0, 500)}`;
  const s = response.status;
  if (s === 408 || s === 429 || s >= 500) {
    const after = retryAfterMs(response);
    return retryable(text, {
      reason: s === 429 ? 'exhausted' : 'unavailable',
      ...(after !== undefined ? { retryAfterMs: after } : {}),
    });
  }
  return permanent(text);
}

/**
 * The MLflow tracking server over HTTP: OTLP trace ingestion and the REST API for experiments
 * and traces. Every failure is an ExportError with its kind.
 * @example const mlflow = mlflowClient({ trackingUri: 'http://127.0.0.1:5000' });
 */
export function mlflowClient({
  trackingUri,
  headers = {},
  timeoutMs = 30_000,
  fetch: fetchImpl = fetch,
}: MlflowClientOptions): MlflowApi {
  const base = trackingUri.replace(/\/+$/, '');
  const experiments = new Map<string, Promise<string>>();

  async function call(
    what: string,
    path: string,
    init: { method?: string; body?: Uint8Array | string; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    try {
      return await fetchImpl(`${base}${path}`, {
        method: init.method ?? 'GET',
        headers: {
          ...(typeof init.body === 'string' ? { 'content-type': 'application/json' } : {}),
          ...headers,
          ...init.headers,
        },
        ...(init.body !== undefined ? { body: init.body } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw retryable(`MLflow ${what}: ${(error as Error).message}`, { cause: error });
    }
  }

  async function json<T>(what: string, path: string, body?: unknown, method?: string): Promise<T> {
    const response = await call(what, path, {
      ...(body !== undefined ? { body: JSON.stringify(body), method: method ?? 'POST' } : {}),
      ...(method ? { method } : {}),
    });
    if (!response.ok) throw await answerError(response, what);
    return (await response.json()) as T;
  }

  async function resolveExperiment(name: string): Promise<string> {
    const byName = `/api/2.0/mlflow/experiments/get-by-name?experiment_name=${encodeURIComponent(name)}`;
    const found = await call(`experiment lookup "${name}"`, byName);
    if (found.ok)
      return ((await found.json()) as { experiment: { experiment_id: string } }).experiment.experiment_id;
    if (found.status !== 404) throw await answerError(found, `experiment lookup "${name}"`);
    await found.body?.cancel();
    const created = await call(`experiment create "${name}"`, '/api/2.0/mlflow/experiments/create', {
      method: 'POST',
      body: JSON.stringify({ name }),
    });
    if (created.ok) return ((await created.json()) as { experiment_id: string }).experiment_id;
    const error = await answerError(created, `experiment create "${name}"`);
    // Another llmp created it first: read it back.
    if (error.message.includes('RESOURCE_ALREADY_EXISTS')) {
      return (await json<{ experiment: { experiment_id: string } }>(`experiment lookup "${name}"`, byName))
        .experiment.experiment_id;
    }
    throw error;
  }

  return {
    experimentId(name) {
      let id = experiments.get(name);
      if (!id) {
        id = resolveExperiment(name);
        experiments.set(name, id);
        // A failed lookup is not remembered: the next upload asks again.
        id.catch(() => experiments.delete(name));
      }
      return id;
    },
    async exportTraces(experimentId, body) {
      const what = `OTLP export to experiment ${experimentId}`;
      const response = await call(what, '/v1/traces', {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/x-protobuf', 'x-mlflow-experiment-id': experimentId },
      });
      if (!response.ok) throw await answerError(response, what);
      await response.body?.cancel();
    },
    async setTraceTag(traceId, key, value) {
      await json(
        `tag ${key} on ${traceId}`,
        `/api/3.0/mlflow/traces/${traceId}/tags`,
        { key, value },
        'PATCH',
      );
    },
    async traceExperiment(traceId) {
      const what = `trace lookup ${traceId}`;
      const response = await call(what, `/api/3.0/mlflow/traces/${encodeURIComponent(traceId)}`);
      if (response.status === 404) {
        await response.body?.cancel();
        return undefined;
      }
      if (!response.ok) throw await answerError(response, what);
      const body = (await response.json()) as {
        trace?: { trace_info?: { trace_location?: { mlflow_experiment?: { experiment_id?: string } } } };
      };
      return body.trace?.trace_info?.trace_location?.mlflow_experiment?.experiment_id;
    },
    async deleteTraces(experimentId, traceIds) {
      await json(`delete of ${traceIds.length} traces`, '/api/2.0/mlflow/traces/delete-traces', {
        experiment_id: experimentId,
        request_ids: traceIds,
      });
    },
  };
}
