import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError } from './apiClient.ts';
import { useApi } from './apiContext.ts';
import type { TracePage as TracePageBody, TraceSummary } from './apiTypes.ts';
import { formatCost, formatDuration, formatTime } from './format.ts';
import { Link, navigate } from './router.tsx';
import {
  filtersFromSearch,
  ranges,
  searchFromFilters,
  type TraceFilters,
  traceSearchQuery,
} from './traceFilters.ts';
import { useVirtualRows } from './useVirtualRows.ts';

const pageSize = 100;
const refreshMs = 5000;
const rowHeight = 30;

function Filters({ initial }: { initial: TraceFilters }) {
  const [draft, setDraft] = useState(initial);
  useEffect(() => setDraft(initial), [initial]);
  const field = (key: keyof TraceFilters, label: string, placeholder = '') => (
    <label>
      {label}
      <input
        name={key}
        value={draft[key]}
        placeholder={placeholder}
        onInput={(event) => setDraft({ ...draft, [key]: event.currentTarget.value })}
      />
    </label>
  );
  return (
    <form
      class="filters"
      onSubmit={(event) => {
        event.preventDefault();
        navigate(`/${searchFromFilters(draft)}`);
      }}
    >
      <label>
        Time
        <select
          name="range"
          value={draft.range}
          onChange={(event) => setDraft({ ...draft, range: event.currentTarget.value })}
        >
          {Object.keys(ranges).map((r) => (
            <option value={r}>last {r}</option>
          ))}
        </select>
      </label>
      {field('service', 'Service')}
      {field('jobId', 'Job')}
      {field('model', 'Model', 'gpt-4o')}
      <label>
        Status
        <select
          name="status"
          value={draft.status}
          onChange={(event) =>
            setDraft({ ...draft, status: event.currentTarget.value as TraceFilters['status'] })
          }
        >
          <option value="">any</option>
          <option value="ok">ok</option>
          <option value="error">error</option>
          <option value="unset">unset</option>
        </select>
      </label>
      {field('minDurationMs', 'Min ms')}
      {field('maxDurationMs', 'Max ms')}
      {field('attribute', 'Attribute', 'key=value')}
      {field('sessionId', 'Session')}
      {field('userId', 'User')}
      <label>
        Sort
        <select
          name="sort"
          value={`${draft.sort}:${draft.order}`}
          onChange={(event) => {
            const [sort, order] = event.currentTarget.value.split(':') as [
              TraceFilters['sort'],
              TraceFilters['order'],
            ];
            setDraft({ ...draft, sort, order });
          }}
        >
          <option value="startTime:desc">newest first</option>
          <option value="startTime:asc">oldest first</option>
          <option value="duration:desc">slowest first</option>
          <option value="duration:asc">fastest first</option>
        </select>
      </label>
      <button type="submit">Search</button>
    </form>
  );
}

function Row({ trace }: { trace: TraceSummary }) {
  return (
    <>
      <span>{formatTime(trace.startTime)}</span>
      <span class="name">
        <Link href={`/traces/${trace.traceId}`}>{trace.rootName || trace.traceId}</Link>
      </span>
      <span>{trace.serviceName}</span>
      <span class="num">{formatDuration(trace.durationNs)}</span>
      <span class="num">{trace.spanCount}</span>
      <span class={trace.errorCount > 0 ? 'num error' : 'num'}>{trace.errorCount}</span>
      <span class="num">
        {trace.inputTokens} / {trace.outputTokens}
      </span>
      <span class="num">{formatCost(trace.costUsd)}</span>
      <span>{trace.jobId ? `${trace.jobId}${trace.jobVersion ? ` v${trace.jobVersion}` : ''}` : ''}</span>
    </>
  );
}

/**
 * The trace list: search filters (kept in the URL), sort, paging by cursor, and live refresh
 * of the first page.
 * @example <TraceList search={location.search} />
 */
export function TraceList({ search }: { search: string }) {
  const { client, askForKey, keyVersion } = useApi();
  const filters = useMemo(() => filtersFromSearch(search), [search]);
  const [traces, setTraces] = useState<TraceSummary[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [live, setLive] = useState(false);
  const [asOf, setAsOf] = useState(() => Date.now());
  const scrollRef = useRef<HTMLDivElement>(null);
  const { items, totalSize } = useVirtualRows({ count: traces.length, rowHeight, scrollRef });

  const load = async (after: string | null, signal?: AbortSignal, nowMs = asOf) => {
    setLoading(true);
    try {
      const query = traceSearchQuery(filters, nowMs, { limit: pageSize, cursor: after ?? undefined });
      const page = await client.get<TracePageBody>(`/v1/traces?${query}`, signal);
      setTraces((old) => (after ? [...old, ...page.traces] : page.traces));
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

  // A new search, key or refresh tick reloads the first page.
  useEffect(() => {
    const controller = new AbortController();
    void load(null, controller.signal, asOf);
    return () => controller.abort();
  }, [search, keyVersion, asOf]);

  useEffect(() => {
    if (!live) return;
    const timer = setInterval(() => setAsOf(Date.now()), refreshMs);
    return () => clearInterval(timer);
  }, [live]);

  return (
    <main class="page traces">
      <Filters initial={filters} />
      <div class="list-bar">
        <span id="trace-count">
          {traces.length} trace{traces.length === 1 ? '' : 's'}
          {cursor ? '+' : ''}
        </span>
        <label class="live">
          <input type="checkbox" checked={live} onChange={(event) => setLive(event.currentTarget.checked)} />{' '}
          live
        </label>
        <button type="button" onClick={() => setAsOf(Date.now())}>
          Refresh
        </button>
        {loading && <span class="muted">loading…</span>}
        {error && <span class="error">{error}</span>}
      </div>
      <div class="grid-head trace-grid">
        <span>Start</span>
        <span>Root span</span>
        <span>Service</span>
        <span class="num">Duration</span>
        <span class="num">Spans</span>
        <span class="num">Errors</span>
        <span class="num">Tokens in / out</span>
        <span class="num">Cost</span>
        <span>Job</span>
      </div>
      <div class="scroll" ref={scrollRef}>
        <div class="sizer" style={{ height: `${totalSize}px` }}>
          {items.map((item) => (
            <div
              key={traces[item.index]!.traceId}
              class="trace-grid row trace-row"
              style={{ transform: `translateY(${item.start}px)`, height: `${rowHeight}px` }}
            >
              <Row trace={traces[item.index]!} />
            </div>
          ))}
        </div>
        {!loading && traces.length === 0 && !error && <p class="muted empty">No traces match.</p>}
      </div>
      {cursor && (
        <button type="button" class="more" disabled={loading} onClick={() => void load(cursor)}>
          Load more
        </button>
      )}
    </main>
  );
}
