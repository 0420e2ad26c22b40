/** Why a job operation did not happen; the API maps the kind onto 400/404/409. */
export interface JobFailure {
  kind: 'invalid' | 'not_found' | 'conflict';
  message: string;
}
export type JobResult<T> = { ok: true; value: T } | { ok: false; failure: JobFailure };

export interface WriteOptions {
  actor?: string | undefined;
  /** The version the client read (If-Match); a different current version is a conflict. */
  ifMatch?: number | undefined;
}

export interface PageRequest {
  limit: number;
  cursor?: string | undefined;
}

/** A job named by spans, as the linker reports it. */
export interface SpanJobRef {
  id: string;
  type: string;
}
