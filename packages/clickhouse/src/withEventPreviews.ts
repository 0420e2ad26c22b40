import type { ClickHouseStore } from './clickhouseStore.ts';
import { genAiEventText } from './genAiEventText.ts';
import { preview } from './genAiRowColumns.ts';
import { readGenAiEvents } from './readTrace.ts';
import type { SpanSummary } from './searchSpans.ts';
import type { Page } from './searchTraces.ts';

/**
 * A span search page whose spans without input or output text of their own show the previews of
 * their GenAI event records (content captured as log events): one look-up in otel_logs per page,
 * only when a span of it lacks text. Filters still match the span's own text only.
 * @example return withEventPreviews(store, projectId, await searchSpans(store, projectId, filter, page));
 */
export async function withEventPreviews(
  store: ClickHouseStore,
  projectId: string,
  page: Page<SpanSummary>,
): Promise<Page<SpanSummary>> {
  const bare = page.items.filter((s) => s.inputPreview === '' || s.outputPreview === '');
  if (bare.length === 0) return page;
  const events = await readGenAiEvents(store, projectId, [...new Set(bare.map((s) => s.traceId))]);
  if (events.length === 0) return page;
  const texts = genAiEventText(events);
  return {
    ...page,
    items: page.items.map((span) => {
      const text = texts.get(span.spanId);
      if (!text) return span;
      return {
        ...span,
        inputPreview: span.inputPreview || preview(text.input),
        outputPreview: span.outputPreview || preview(text.output),
      };
    }),
  };
}
