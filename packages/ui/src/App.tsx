import { useMemo, useState } from 'preact/hooks';
import { apiClient, sessionKeyStore } from './apiClient.ts';
import { ApiContext } from './apiContext.ts';
import { JobList } from './JobList.tsx';
import { JobPage } from './JobPage.tsx';
import { KeyPrompt } from './KeyPrompt.tsx';
import { MetricsPage } from './MetricsPage.tsx';
import { Link, useLocation } from './router.tsx';
import { SessionsPage } from './SessionsPage.tsx';
import { TraceList } from './TraceList.tsx';
import { TracePage } from './TracePage.tsx';

const tracePath = /^\/traces\/([0-9a-fA-F]{32})\/?$/;
const jobPath = /^\/jobs\/([^/]+)\/?$/;

/** The whole UI: header, key prompt when the API asks for a key, and the page of the current path. */
export function App() {
  const keys = useMemo(() => sessionKeyStore(window.sessionStorage), []);
  const client = useMemo(() => apiClient({ keys }), [keys]);
  const [keyVersion, setKeyVersion] = useState(0);
  const [needKey, setNeedKey] = useState(false);
  const { path, search } = useLocation();
  const api = useMemo(
    () => ({ client, keyVersion, askForKey: () => setNeedKey(true) }),
    [client, keyVersion],
  );
  const trace = tracePath.exec(path);
  const job = jobPath.exec(path);
  const hadKey = keys.get() !== null;
  return (
    <ApiContext.Provider value={api}>
      <header class="top">
        <Link href="/" class="brand">
          llmp
        </Link>
        <nav>
          <Link href="/">Traces</Link>
          <Link href="/jobs">Jobs</Link>
          <Link href="/sessions">Sessions</Link>
          <Link href="/dashboards">Metrics</Link>
          <a href="/docs">API</a>
        </nav>
        {hadKey && (
          <button
            type="button"
            class="link"
            onClick={() => {
              keys.set(null);
              setKeyVersion((v) => v + 1);
            }}
          >
            Forget key
          </button>
        )}
      </header>
      {needKey ? (
        <KeyPrompt
          failed={hadKey}
          onKey={(key) => {
            keys.set(key);
            setNeedKey(false);
            setKeyVersion((v) => v + 1);
          }}
        />
      ) : trace ? (
        <TracePage traceId={trace[1]!.toLowerCase()} search={search} />
      ) : path === '/jobs' || path === '/jobs/' ? (
        <JobList search={search} />
      ) : path === '/sessions' || path === '/sessions/' ? (
        <SessionsPage search={search} />
      ) : path === '/dashboards' || path === '/dashboards/' ? (
        <MetricsPage search={search} />
      ) : job ? (
        <JobPage jobId={decodeURIComponent(job[1]!)} />
      ) : path === '/' || path === '/traces' ? (
        <TraceList search={search} />
      ) : (
        <main class="page">
          <h2>Not found</h2>
          <p>
            Nothing here. <Link href="/">Back to traces</Link>
          </p>
        </main>
      )}
    </ApiContext.Provider>
  );
}
