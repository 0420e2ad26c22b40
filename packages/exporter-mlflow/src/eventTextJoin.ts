import type { LogBatch, ResourceSpans, ScopeSpans, Span } from '@llmp/otlp';
import { bare } from './eventMessages.ts';
import { keyOf } from './storeCatchUp.ts';
import type { TraceUpload } from './traceUploads.ts';

/** Each span's GenAI messages from a log batch's event records in hand, by trace then span. */
export type RecordMessages = (batch: LogBatch) => Map<string, Map<string, Record<string, string>>>;

/** A span sent without text of its own, with what it needs to be sent again alone. */
interface HeldSpan {
  resource: Omit<ResourceSpans, 'scopeSpans'>;
  scope: Omit<ScopeSpans, 'spans'>;
  span: Span;
}

interface HeldTrace {
  upload: Pick<TraceUpload, 'projectId' | 'traceId' | 'experiment' | 'experimentId' | 'jobId'>;
  spans: Map<string, HeldSpan>;
}

export interface EventTextJoin {
  /** The held messages of these traces' spans (records read before their spans), by span id. */
  messages(projectId: string, traceIds: string[]): Map<string, Record<string, string>>;
  /**
   * MLflow accepted these uploads: their spans still without text are held (a record may come
   * later), messages they used are let go. Answers the held spans that have held messages by now
   * (records read while the upload was on its way): to be sent again.
   */
  sent(uploads: TraceUpload[]): TraceUpload[];
  /**
   * GenAI event records in hand: answers the held spans they complete, as uploads to send again
   * (with `messages` of the batch); the messages of spans not sent yet are held for them.
   */
  records(projectId: string, byTrace: Map<string, Map<string, Record<string, string>>>): TraceUpload[];
  stats(): { spans: number; messages: number };
}

export interface EventTextJoinOptions {
  /** Spans held, and spans' messages held, each at most this many (oldest trace forgotten first). */
  maxHeld: number;
  /** A trace forgotten to stay within maxHeld: its `count` spans (or spans' messages) lost their chance. */
  onForgotten?: (held: 'spans' | 'records', count: number) => void;
}

/**
 * Joins spans and their GenAI event records in one process, whichever it reads first, for an
 * exporter reading spans and log records apart (the mlflow-exporter role reads otlp_spans and
 * otlp_logs in groups of their own): a span sent without text waits (bounded) for its records,
 * and records read before their span wait (bounded) for it. MLflow keys spans by trace and span
 * id, so a span sent again with its text replaces the one sent without.
 * @example const join = eventTextJoin({ maxHeld: 10_000 }); const again = join.records(projectId, messagesOf(batch));
 */
export function eventTextJoin({ maxHeld, onForgotten }: EventTextJoinOptions): EventTextJoin {
  const spans = new Map<string, HeldTrace>();
  const messages = new Map<string, Map<string, Record<string, string>>>();
  let heldSpans = 0;
  let heldMessages = 0;

  function trimSpans(): void {
    for (const [key, held] of spans) {
      if (heldSpans <= maxHeld) return;
      spans.delete(key);
      heldSpans -= held.spans.size;
      onForgotten?.('spans', held.spans.size);
    }
  }

  function trimMessages(): void {
    for (const [key, bySpan] of messages) {
      if (heldMessages <= maxHeld) return;
      messages.delete(key);
      heldMessages -= bySpan.size;
      onForgotten?.('records', bySpan.size);
    }
  }

  function holdMessages(key: string, bySpan: Map<string, Record<string, string>>): void {
    const held = messages.get(key) ?? new Map<string, Record<string, string>>();
    messages.delete(key); // re-inserted: the newest is forgotten last
    for (const [spanId, found] of bySpan) {
      if (!held.has(spanId)) heldMessages++;
      held.set(spanId, { ...held.get(spanId), ...found });
    }
    messages.set(key, held);
    trimMessages();
  }

  /** An upload of some held spans of a trace (one resource and scope entry each). */
  function uploadOf(held: HeldTrace, spanIds: string[]): TraceUpload {
    const resourceSpans: ResourceSpans[] = [];
    for (const spanId of spanIds) {
      const one = held.spans.get(spanId);
      if (one) resourceSpans.push({ ...one.resource, scopeSpans: [{ ...one.scope, spans: [one.span] }] });
    }
    return { ...held.upload, request: { resourceSpans }, spanCount: resourceSpans.length, lateTags: {} };
  }

  return {
    messages(projectId, traceIds) {
      const found = new Map<string, Record<string, string>>();
      for (const traceId of traceIds) {
        for (const [spanId, m] of messages.get(keyOf(projectId, traceId)) ?? []) found.set(spanId, m);
      }
      return found;
    },
    sent(uploads) {
      const again: TraceUpload[] = [];
      for (const upload of uploads) {
        const key = keyOf(upload.projectId, upload.traceId);
        let held = spans.get(key);
        const waiting = messages.get(key);
        const complete: string[] = [];
        for (const rs of upload.request.resourceSpans) {
          const { scopeSpans: _scopes, ...resource } = rs;
          for (const ss of rs.scopeSpans) {
            const { spans: _spans, ...scope } = ss;
            for (const span of ss.spans) {
              if (held?.spans.delete(span.spanId)) heldSpans--;
              if (!bare(span)) {
                if (waiting?.delete(span.spanId)) heldMessages--;
                continue;
              }
              if (!held) {
                held = { upload: { ...upload, experimentId: upload.experimentId }, spans: new Map() };
                spans.set(key, held);
              }
              held.spans.set(span.spanId, { resource, scope, span });
              heldSpans++;
              if (waiting?.has(span.spanId)) complete.push(span.spanId);
            }
          }
        }
        if (held && held.spans.size === 0) spans.delete(key);
        if (waiting && waiting.size === 0) messages.delete(key);
        if (held && complete.length > 0) again.push(uploadOf(held, complete));
      }
      trimSpans();
      return again;
    },
    records(projectId, byTrace) {
      const again: TraceUpload[] = [];
      for (const [traceId, bySpan] of byTrace) {
        const key = keyOf(projectId, traceId);
        const held = spans.get(key);
        const complete = held ? [...bySpan.keys()].filter((spanId) => held.spans.has(spanId)) : [];
        if (held && complete.length > 0) again.push(uploadOf(held, complete));
        const rest = new Map([...bySpan].filter(([spanId]) => !complete.includes(spanId)));
        if (rest.size > 0) holdMessages(key, rest);
      }
      return again;
    },
    stats: () => ({ spans: heldSpans, messages: heldMessages }),
  };
}
