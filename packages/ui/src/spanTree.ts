import type { SpanOutline } from './apiTypes.ts';

/** One visible line of the span tree. */
export interface SpanRow {
  span: SpanOutline;
  depth: number;
  childCount: number;
  /** Start and end, nanoseconds from the trace's start (exact: trace extents are short). */
  startNs: number;
  endNs: number;
}

export interface SpanTree {
  /** Spans in depth-first order, children by start time; orphans (parent not in the trace) are roots. */
  rows: SpanRow[];
  startNs: bigint;
  endNs: bigint;
}

interface Node {
  span: SpanOutline;
  start: bigint;
  end: bigint;
}

const byStart = (a: Node, b: Node) =>
  a.start < b.start ? -1 : a.start > b.start ? 1 : a.span.spanId < b.span.spanId ? -1 : 1;

/**
 * The spans of a trace as a depth-first tree: linear in the span count (each time parsed once)
 * and iterative, so a 30 000-span or very deep trace neither stalls nor overflows the stack.
 * @example const { rows } = spanTree(outline.spans);
 */
export function spanTree(spans: SpanOutline[]): SpanTree {
  const nodes: Node[] = spans.map((span) => {
    const start = BigInt(span.startTimeUnixNano);
    return { span, start, end: start + BigInt(span.durationNs) };
  });
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string, Node[]>();
  const roots: Node[] = [];
  let startNs: bigint | undefined;
  let endNs: bigint | undefined;
  for (const node of nodes) {
    const { span } = node;
    if (startNs === undefined || node.start < startNs) startNs = node.start;
    if (endNs === undefined || node.end > endNs) endNs = node.end;
    if (span.parentSpanId && span.parentSpanId !== span.spanId && ids.has(span.parentSpanId)) {
      const list = children.get(span.parentSpanId);
      if (list) list.push(node);
      else children.set(span.parentSpanId, [node]);
    } else {
      roots.push(node);
    }
  }
  const origin = startNs ?? 0n;
  const rows: SpanRow[] = [];
  const row = (node: Node, depth: number, childCount: number): SpanRow => ({
    span: node.span,
    depth,
    childCount,
    startNs: Number(node.start - origin),
    endNs: Number(node.end - origin),
  });
  const seen = new Set<string>();
  const stack: Array<{ node: Node; depth: number }> = roots
    .sort(byStart)
    .reverse()
    .map((node) => ({ node, depth: 0 }));
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    // A parent cycle in bad data would loop forever: each span is shown once.
    if (seen.has(node.span.spanId)) continue;
    seen.add(node.span.spanId);
    const kids = (children.get(node.span.spanId) ?? []).sort(byStart);
    rows.push(row(node, depth, kids.length));
    for (let i = kids.length - 1; i >= 0; i--) stack.push({ node: kids[i]!, depth: depth + 1 });
  }
  // Spans only reachable through a cycle: shown as roots rather than lost.
  for (const node of nodes) if (!seen.has(node.span.spanId)) rows.push(row(node, 0, 0));
  return { rows, startNs: origin, endNs: endNs ?? 0n };
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
