import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError } from './apiClient.ts';
import { useApi } from './apiContext.ts';
import type { TraceResponse } from './apiTypes.ts';
import { formatCost, formatDuration, formatTime } from './format.ts';
import { Link, navigate } from './router.tsx';
import { SpanPanel } from './SpanPanel.tsx';
import { type SpanRow, spanTree, visibleRows } from './spanTree.ts';
import { useVirtualRows } from './useVirtualRows.ts';
import { wholeTrace } from './wholeTrace.ts';

const rowHeight = 24;

function TreeRow({
  row,
  selected,
  collapsed,
  offset,
  scale,
  onSelect,
  onToggle,
}: {
  row: SpanRow;
  selected: boolean;
  collapsed: boolean;
  /** Start and length of the bar as fractions of the trace. */
  offset: number;
  scale: number;
  onSelect: () => void;
  onToggle: () => void;
}) {
  const { span } = row;
  const error = span.status.code === 'ERROR';
  return (
    <div
      class={`span-row${selected ? ' selected' : ''}${error ? ' failed' : ''}`}
      data-span-id={span.spanId}
      onClick={onSelect}
      onKeyDown={(event) => {
        if (event.key === 'Enter') onSelect();
      }}
      role="treeitem"
      aria-selected={selected}
      aria-level={row.depth + 1}
      tabIndex={0}
    >
      <span class="span-name" style={{ paddingLeft: `${Math.min(row.depth, 40) * 14 + 4}px` }}>
        {row.childCount > 0 ? (
          <button
            type="button"
            class="toggle"
            aria-label={collapsed ? 'expand' : 'collapse'}
            onClick={(event) => {
              event.stopPropagation();
              onToggle();
            }}
          >
            {collapsed ? '▸' : '▾'}
          </button>
        ) : (
          <span class="toggle" />
        )}
        {span.spanType && <span class={`badge ${span.spanType}`}>{span.spanType}</span>}
        {span.name}
        <span class="muted"> {span.serviceName}</span>
      </span>
      <span class="waterfall">
        <span
          class="bar"
          style={{ left: `${offset * 100}%`, width: `max(2px, ${scale * 100}%)` }}
          title={formatDuration(span.durationNs)}
        />
        <span class="bar-label" style={{ left: `${Math.min(offset * 100, 85)}%` }}>
          {formatDuration(span.durationNs)}
        </span>
      </span>
    </div>
  );
}

/**
 * A trace: summary, span tree with a waterfall of timing bars (virtual rows, so 30 000 spans stay
 * usable), and the selected span's panel. The selected span is kept in the URL (`?span=`).
 * @example <TracePage traceId="5b8efff798038103d269b633813fc60c" search="" />
 */
export function TracePage({ traceId, search }: { traceId: string; search: string }) {
  const { client, askForKey, keyVersion } = useApi();
  const [trace, setTrace] = useState<TraceResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  const selectedId = new URLSearchParams(search).get('span');

  useEffect(() => {
    const controller = new AbortController();
    setTrace(null);
    setError(null);
    wholeTrace(client, traceId, controller.signal)
      .then(setTrace)
      .catch((e: Error) => {
        if (e.name === 'AbortError') return;
        if (e instanceof ApiError && e.kind === 'unauthorized') askForKey();
        setError(e.message);
      });
    return () => controller.abort();
  }, [traceId, keyVersion, client, askForKey]);

  const tree = useMemo(() => (trace ? spanTree(trace.spans) : null), [trace]);
  const rows = useMemo(() => (tree ? visibleRows(tree.rows, collapsed) : []), [tree, collapsed]);
  const scrollRef = useRef<HTMLDivElement>(null);
  const { items, totalSize } = useVirtualRows({ count: rows.length, rowHeight, scrollRef });

  if (error)
    return (
      <main class="page">
        <p class="error">{error}</p>
        <Link href="/">Back to traces</Link>
      </main>
    );
  if (!trace || !tree) return <main class="page muted">Loading trace {traceId}…</main>;

  const selected = tree.rows.find((r) => r.span.spanId === selectedId)?.span ?? tree.rows[0]?.span;
  const total = Number(tree.endNs - tree.startNs) || 1;
  const root = tree.rows[0]?.span;
  let input = 0;
  let output = 0;
  let cost = 0;
  let costed = false;
  for (const { span } of tree.rows) {
    if (span.spanType !== 'llm' && span.spanType !== 'embedding') continue;
    input += span.genAi.inputTokens;
    output += span.genAi.outputTokens;
    if (span.genAi.costUsd !== null) {
      cost += span.genAi.costUsd;
      costed = true;
    }
  }
  const select = (spanId: string) => navigate(`/traces/${traceId}?span=${spanId}`, { replace: true });
  return (
    <main class="page trace">
      <section class="trace-head">
        <h2>{root?.name ?? traceId}</h2>
        <dl class="facts">
          <dt>Trace</dt>
          <dd class="mono">{traceId}</dd>
          <dt>Start</dt>
          <dd>{root ? formatTime(root.startTime) : ''}</dd>
          <dt>Duration</dt>
          <dd>{formatDuration(tree.endNs - tree.startNs)}</dd>
          <dt>Spans</dt>
          <dd id="span-count">{trace.spans.length}</dd>
          <dt>Tokens</dt>
          <dd>
            {input} in / {output} out
          </dd>
          <dt>Cost</dt>
          <dd>{costed ? formatCost(cost) : '—'}</dd>
        </dl>
      </section>
      <div class="trace-body">
        <section class="tree" aria-label="spans">
          <div class="tree-head">
            <span>Span</span>
            <span>0</span>
            <span>{formatDuration(tree.endNs - tree.startNs)}</span>
          </div>
          <div class="scroll" ref={scrollRef} role="tree">
            <div class="sizer" style={{ height: `${totalSize}px` }}>
              {items.map((item) => {
                const row = rows[item.index]!;
                const start = Number(BigInt(row.span.startTimeUnixNano) - tree.startNs);
                return (
                  <div
                    key={row.span.spanId}
                    class="virtual"
                    style={{ transform: `translateY(${item.start}px)`, height: `${rowHeight}px` }}
                  >
                    <TreeRow
                      row={row}
                      selected={row.span === selected}
                      collapsed={collapsed.has(row.span.spanId)}
                      offset={start / total}
                      scale={Number(row.span.durationNs) / total}
                      onSelect={() => select(row.span.spanId)}
                      onToggle={() => {
                        const next = new Set(collapsed);
                        if (next.has(row.span.spanId)) next.delete(row.span.spanId);
                        else next.add(row.span.spanId);
                        setCollapsed(next);
                      }}
                    />
                  </div>
                );
              })}
            </div>
          </div>
        </section>
        {selected && <SpanPanel span={selected} />}
      </div>
    </main>
  );
}
