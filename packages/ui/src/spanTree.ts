import type { Span } from './apiTypes.ts';

/** One visible line of the span tree. */
export interface SpanRow {
  span: Span;
  depth: number;
  childCount: number;
}

export interface SpanTree {
  /** Spans in depth-first order, children by start time; orphans (parent not in the trace) are roots. */
  rows: SpanRow[];
  startNs: bigint;
  endNs: bigint;
}

const byStart = (a: Span, b: Span) => {
  const x = BigInt(a.startTimeUnixNano);
  const y = BigInt(b.startTimeUnixNano);
  return x < y ? -1 : x > y ? 1 : a.spanId < b.spanId ? -1 : 1;
};

/**
 * The spans of a trace as a depth-first tree: linear in the span count and iterative, so a
 * 30 000-span or very deep trace neither stalls nor overflows the stack.
 * @example const { rows } = spanTree(trace.spans);
 */
export function spanTree(spans: Span[]): SpanTree {
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string, Span[]>();
  const roots: Span[] = [];
  let startNs: bigint | undefined;
  let endNs: bigint | undefined;
  for (const span of spans) {
    const start = BigInt(span.startTimeUnixNano);
    const end = BigInt(span.endTimeUnixNano);
    if (startNs === undefined || start < startNs) startNs = start;
    if (endNs === undefined || end > endNs) endNs = end;
    if (span.parentSpanId && span.parentSpanId !== span.spanId && ids.has(span.parentSpanId)) {
      const list = children.get(span.parentSpanId);
      if (list) list.push(span);
      else children.set(span.parentSpanId, [span]);
    } else {
      roots.push(span);
    }
  }
  const rows: SpanRow[] = [];
  const seen = new Set<string>();
  const stack: Array<{ span: Span; depth: number }> = roots
    .sort(byStart)
    .reverse()
    .map((span) => ({ span, depth: 0 }));
  while (stack.length > 0) {
    const { span, depth } = stack.pop()!;
    // A parent cycle in bad data would loop forever: each span is shown once.
    if (seen.has(span.spanId)) continue;
    seen.add(span.spanId);
    const kids = (children.get(span.spanId) ?? []).sort(byStart);
    rows.push({ span, depth, childCount: kids.length });
    for (let i = kids.length - 1; i >= 0; i--) stack.push({ span: kids[i]!, depth: depth + 1 });
  }
  // Spans only reachable through a cycle: shown as roots rather than lost.
  for (const span of spans) if (!seen.has(span.spanId)) rows.push({ span, depth: 0, childCount: 0 });
  return { rows, startNs: startNs ?? 0n, endNs: endNs ?? 0n };
}

/**
 * The rows left visible when the spans in `collapsed` hide their descendants.
 * @example visibleRows(tree.rows, new Set([rootSpanId]))
 */
export function visibleRows(rows: SpanRow[], collapsed: ReadonlySet<string>): SpanRow[] {
  if (collapsed.size === 0) return rows;
  const visible: SpanRow[] = [];
  let hideDeeperThan = Number.POSITIVE_INFINITY;
  for (const row of rows) {
    if (row.depth > hideDeeperThan) continue;
    hideDeeperThan = collapsed.has(row.span.spanId) ? row.depth : Number.POSITIVE_INFINITY;
    visible.push(row);
  }
  return visible;
}
