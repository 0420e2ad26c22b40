import { useEffect, useState } from 'preact/hooks';
import { ApiError } from './apiClient.ts';
import { useApi } from './apiContext.ts';
import type { JobEvent, JobRecord, JobTrace, Page } from './apiTypes.ts';
import { formatTime } from './format.ts';
import { JobCharts } from './JobCharts.tsx';
import { type JobVersionBody, jobVersionDiff } from './jobVersionDiff.ts';
import { Link } from './router.tsx';

type JobBody = JobRecord;
type JobRun = JobTrace;

// What each status allows (the API answers 409 for anything else): DESIGN.md, Lifecycle.
const actionsFor: Record<string, string[]> = {
  active: ['pause', 'complete', 'terminate'],
  paused: ['resume', 'complete', 'terminate'],
};

function VersionDiff({ versions }: { versions: JobVersionBody[] }) {
  const newest = versions[0]?.version ?? 1;
  const [from, setFrom] = useState(Math.max(1, newest - 1));
  const [to, setTo] = useState(newest);
  const a = versions.find((v) => v.version === from);
  const b = versions.find((v) => v.version === to);
  const pick = (value: number, set: (n: number) => void, name: string) => (
    <select name={name} value={value} onChange={(e) => set(Number(e.currentTarget.value))}>
      {versions.map((v) => (
        <option value={v.version}>v{v.version}</option>
      ))}
    </select>
  );
  const changes = a && b ? jobVersionDiff(a, b) : [];
  return (
    <div class="version-diff">
      <p>
        Compare {pick(from, setFrom, 'diff-from')} with {pick(to, setTo, 'diff-to')}
      </p>
      {a && b && changes.length === 0 && <p class="muted">Same definition.</p>}
      <table id="version-diff">
        <tbody>
          {changes.map((c) => (
            <tr key={c.field} class="diff-row">
              <th>{c.field}</th>
              <td>
                <pre class="removed">{c.from}</pre>
              </td>
              <td>
                <pre class="added">{c.to}</pre>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * A job: its definition, lifecycle actions, versions with a diff and rollback, events, runs
 * (linked traces) and metrics. Every change goes through the API, which checks it.
 * @example <JobPage jobId="summarise" />
 */
export function JobPage({ jobId }: { jobId: string }) {
  const { client, askForKey, keyVersion } = useApi();
  const base = `/v1/jobs/${encodeURIComponent(jobId)}`;
  const [job, setJob] = useState<JobBody | null>(null);
  const [versions, setVersions] = useState<JobVersionBody[]>([]);
  const [events, setEvents] = useState<JobEvent[]>([]);
  const [runs, setRuns] = useState<JobRun[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [refresh, setRefresh] = useState(0);
  const [busy, setBusy] = useState(false);

  const failed = (e: unknown) => {
    if ((e as Error).name === 'AbortError') return;
    if (e instanceof ApiError && e.kind === 'unauthorized') askForKey();
    setError((e as Error).message);
  };
  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    Promise.all([
      client.get<JobBody>(base, signal),
      client.get<Page<JobVersionBody>>(`${base}/versions?limit=200`, signal),
      client.get<Page<JobEvent>>(`${base}/events?limit=200`, signal),
      client.get<Page<JobRun>>(`${base}/traces?limit=50`, signal),
    ]).then(([j, v, e, r]) => {
      setJob(j);
      setVersions(v.items);
      setEvents(e.items);
      setRuns(r.items);
    }, failed);
    return () => controller.abort();
  }, [jobId, keyVersion, refresh]);

  // A change names the version it was made on (If-Match): a concurrent edit is a 409, not lost.
  const act = async (path: string, body?: unknown) => {
    if (!job) return;
    setBusy(true);
    try {
      await client.send('POST', `${base}/${path}`, body, { ifMatch: job.version });
      setError(null);
      setRefresh((n) => n + 1);
    } catch (e) {
      failed(e);
    } finally {
      setBusy(false);
    }
  };

  if (!job)
    return (
      <main class="page job">{error ? <p class="error">{error}</p> : <p class="muted">loading…</p>}</main>
    );
  return (
    <main class="page job">
      <h2>
        {job.name} <span class="mono muted">{job.id}</span>
      </h2>
      <p>
        {job.job_type} ·{' '}
        <span id="job-status" class={`status status-${job.status}`}>
          {job.status}
        </span>{' '}
        · <span id="job-version">v{job.version}</span> ·{' '}
        <Link href={`/?jobId=${encodeURIComponent(job.id)}`}>search its traces</Link>
      </p>
      <div class="actions">
        {(actionsFor[job.status] ?? []).map((action) => (
          <button type="button" id={`job-${action}`} disabled={busy} onClick={() => void act(action)}>
            {action}
          </button>
        ))}
      </div>
      {error && <p class="error">{error}</p>}
      <JobCharts jobId={job.id} refresh={refresh} />
      <section>
        <h3>Definition</h3>
        <pre id="job-definition" class="definition">
          {JSON.stringify(job, null, 2)}
        </pre>
      </section>
      <section>
        <h3>Versions</h3>
        <table id="job-versions">
          <tbody>
            {versions.map((v) => (
              <tr key={v.version} class="version-row">
                <td>v{v.version}</td>
                <td>{formatTime(String(v.updated_at ?? ''))}</td>
                <td>
                  {v.version !== job.version && (
                    <button
                      type="button"
                      class="rollback"
                      disabled={busy}
                      onClick={() => void act('rollback', { version: v.version })}
                    >
                      roll back to v{v.version}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {versions.length > 1 && <VersionDiff key={job.version} versions={versions} />}
      </section>
      <section>
        <h3>Events</h3>
        <table id="job-events">
          <tbody>
            {events.map((e) => (
              <tr key={e.id} class="event-row">
                <td class="num">{e.seq}</td>
                <td>{e.kind}</td>
                <td>v{e.version}</td>
                <td>{e.status}</td>
                <td>{e.actor ?? ''}</td>
                <td>{formatTime(e.time)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section>
        <h3>Runs</h3>
        <div class="runs">
          <table id="job-runs">
            <tbody>
              {runs.map((r) => (
                <tr key={r.traceId} class="run-row">
                  <td>{formatTime(r.startTime)}</td>
                  <td class="mono">
                    <Link href={`/traces/${r.traceId}`}>{r.traceId}</Link>
                  </td>
                  <td>{r.jobVersions.map((v) => `v${v}`).join(', ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {runs.length === 0 && <p class="muted">No linked traces yet.</p>}
      </section>
    </main>
  );
}
