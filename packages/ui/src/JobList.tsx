import { useEffect, useState } from 'preact/hooks';
import { ApiError } from './apiClient.ts';
import { useApi } from './apiContext.ts';
import type { JobRecord } from './apiTypes.ts';
import { formatTime } from './format.ts';
import { Link, navigate } from './router.tsx';

/** A job as `GET /v1/jobs` lists it. */
export type JobSummary = JobRecord;

const statuses = ['', 'active', 'paused', 'completed', 'terminated'];
const types = ['', 'llm_task', 'training', 'judge_labeling'];

/**
 * The jobs list: status and type filters (kept in the URL), a name search, cursor paging; each
 * job links to its traces.
 * @example <JobList search="?status=active" />
 */
export function JobList({ search }: { search: string }) {
  const { client, askForKey, keyVersion } = useApi();
  const params = new URLSearchParams(search);
  const status = params.get('status') ?? '';
  const type = params.get('type') ?? '';
  const name = params.get('name') ?? '';
  const [draftName, setDraftName] = useState(name);
  const [jobs, setJobs] = useState<JobSummary[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);

  const query = (after: string | null) => {
    const q = new URLSearchParams({ limit: '100' });
    if (status) q.set('status', status);
    if (type) q.set('type', type);
    if (name) q.set('name', name);
    if (after) q.set('cursor', after);
    return `/v1/jobs?${q}`;
  };
  const load = async (after: string | null, signal?: AbortSignal) => {
    setLoading(true);
    try {
      const page = await client.get<{ items: JobSummary[]; next_cursor: string | null }>(
        query(after),
        signal,
      );
      setJobs((old) => (after ? [...old, ...page.items] : page.items));
      setCursor(page.next_cursor);
      setError(null);
    } catch (e) {
      if ((e as Error).name === 'AbortError') return;
      if (e instanceof ApiError && e.kind === 'unauthorized') askForKey();
      setError((e as Error).message);
    } finally {
      setLoading(false);
    }
  };
  // A new filter or key reloads the first page.
  useEffect(() => {
    const controller = new AbortController();
    void load(null, controller.signal);
    return () => controller.abort();
  }, [search, keyVersion]);

  const go = (change: Record<string, string>) => {
    const next = new URLSearchParams({ status, type, name, ...change });
    for (const [k, v] of [...next]) if (v === '') next.delete(k);
    const text = next.toString();
    navigate(`/jobs${text ? `?${text}` : ''}`);
  };
  return (
    <main class="page jobs">
      <form
        class="filters"
        onSubmit={(event) => {
          event.preventDefault();
          go({ name: draftName.trim() });
        }}
      >
        <label>
          Status
          <select name="status" value={status} onChange={(e) => go({ status: e.currentTarget.value })}>
            {statuses.map((s) => (
              <option value={s}>{s || 'any'}</option>
            ))}
          </select>
        </label>
        <label>
          Type
          <select name="type" value={type} onChange={(e) => go({ type: e.currentTarget.value })}>
            {types.map((t) => (
              <option value={t}>{t || 'any'}</option>
            ))}
          </select>
        </label>
        <label>
          Name
          <input name="name" value={draftName} onInput={(e) => setDraftName(e.currentTarget.value)} />
        </label>
        <button type="submit">Search</button>
      </form>
      <div class="list-bar">
        <span>
          {jobs.length} job{jobs.length === 1 ? '' : 's'}
          {cursor ? '+' : ''}
        </span>
        {loading && <span class="muted">loading…</span>}
        {error && <span class="error">{error}</span>}
      </div>
      <table class="jobs-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Id</th>
            <th>Type</th>
            <th>Status</th>
            <th class="num">Version</th>
            <th>Updated</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {jobs.map((job) => (
            <tr class="job-row" key={job.id}>
              <td>
                <Link href={`/jobs/${encodeURIComponent(job.id)}`} class="job-link">
                  {job.name}
                </Link>
                {job.discovered && <span class="muted"> (discovered)</span>}
              </td>
              <td class="mono">{job.id}</td>
              <td>{job.job_type}</td>
              <td class={`status status-${job.status}`}>{job.status}</td>
              <td class="num">{job.version}</td>
              <td>{formatTime(job.updated_at)}</td>
              <td>
                <Link href={`/?jobId=${encodeURIComponent(job.id)}`}>traces</Link>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {cursor && (
        <button type="button" class="more" disabled={loading} onClick={() => void load(cursor)}>
          Load more
        </button>
      )}
    </main>
  );
}
