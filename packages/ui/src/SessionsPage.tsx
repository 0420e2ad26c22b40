import { useEffect, useState } from 'preact/hooks';
import { ApiError } from './apiClient.ts';
import { useApi } from './apiContext.ts';
import type { SessionSummary } from './apiTypes.ts';
import { formatCost, formatTime } from './format.ts';
import { GroupAndRangeFilters } from './GroupAndRangeFilters.tsx';
import { Link, navigate } from './router.tsx';
import { ranges } from './traceFilters.ts';

const limit = 200;

/**
 * Traces grouped by session or by user (kept in the URL), most recent first; a group opens the
 * trace list filtered to it.
 * @example <SessionsPage search="?by=user&range=7d" />
 */
export function SessionsPage({ search }: { search: string }) {
  const { client, askForKey, keyVersion } = useApi();
  const params = new URLSearchParams(search);
  const by = params.get('by') === 'user' ? 'user' : 'session';
  const range = (params.get('range') ?? '') in ranges ? params.get('range')! : '24h';
  const [groups, setGroups] = useState<SessionSummary[]>([]);
  const [truncated, setTruncated] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);

  useEffect(() => {
    const controller = new AbortController();
    const now = Date.now();
    const q = new URLSearchParams({
      by,
      from: new Date(now - ranges[range]! * 1000).toISOString(),
      to: new Date(now).toISOString(),
      limit: String(limit),
    });
    setLoading(true);
    client
      .get<{ sessions: SessionSummary[]; truncated: boolean }>(`/v1/sessions?${q}`, controller.signal)
      .then(
        (body) => {
          setGroups(body.sessions);
          setTruncated(body.truncated);
          setError(null);
          setLoading(false);
        },
        (e: Error) => {
          if (e.name === 'AbortError') return;
          if (e instanceof ApiError && e.kind === 'unauthorized') askForKey();
          setError(e.message);
          setLoading(false);
        },
      );
    return () => controller.abort();
  }, [by, range, keyVersion]);

  const go = (change: Record<string, string>) =>
    navigate(`/sessions?${new URLSearchParams({ by, range, ...change })}`);
  const filter = by === 'user' ? 'userId' : 'sessionId';
  return (
    <main class="page sessions">
      <GroupAndRangeFilters
        label="Group by"
        by={by}
        groups={['session', 'user']}
        range={range}
        ranges={Object.keys(ranges)}
        go={go}
      />
      <div class="list-bar">
        <span>
          {groups.length} {by === 'user' ? 'user' : 'session'}
          {groups.length === 1 ? '' : 's'}
          {truncated ? ` (the ${limit} most recent)` : ''}
        </span>
        {loading && <span class="muted">loading…</span>}
        {error && <span class="error">{error}</span>}
      </div>
      <table id="sessions-table" class="jobs-table">
        <thead>
          <tr>
            <th>{by === 'user' ? 'User' : 'Session'}</th>
            <th class="num">Traces</th>
            <th class="num">Spans</th>
            <th class="num">Errors</th>
            <th class="num">{by === 'user' ? 'Sessions' : 'Users'}</th>
            <th class="num">Tokens in / out</th>
            <th class="num">Cost</th>
            <th>First seen</th>
            <th>Last seen</th>
          </tr>
        </thead>
        <tbody>
          {groups.map((g) => (
            <tr key={g.id} class="session-row">
              <td class="mono">
                <Link href={`/?${new URLSearchParams({ [filter]: g.id, range })}`}>{g.id}</Link>
              </td>
              <td class="num">{g.traces}</td>
              <td class="num">{g.spans}</td>
              <td class="num">{g.errorCount}</td>
              <td class="num">{g.related}</td>
              <td class="num">
                {g.inputTokens} / {g.outputTokens}
              </td>
              <td class="num">{formatCost(g.costUsd)}</td>
              <td>{formatTime(g.firstSeen)}</td>
              <td>{formatTime(g.lastSeen)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {!loading && groups.length === 0 && !error && (
        <p class="muted">No spans in this window carry a {by === 'user' ? 'user.id' : 'session.id'}.</p>
      )}
    </main>
  );
}
