import type { ClickHouseStore } from './clickhouseStore.ts';
import { type GenAiScore, isoFromNanos } from './storedSpan.ts';

/** A genai_scores row as readTraceScores selects it. */
interface ScoreRow {
  SpanId: string;
  name: string;
  score: number | null;
  label: string;
  explanation: string;
  evaluator: string;
  response_id: string;
  source: GenAiScore['source'];
  ts: string;
}

/**
 * The evaluation results of one trace (migration 14's genai_scores), by span id, oldest first;
 * a result sent twice (a sender's retry) counts once. Results not tied to a span are under ''.
 * With `spanIds`, only theirs: a part of a huge trace reads the results of its own spans.
 * @example (await readTraceScores(store, 'default', traceId)).get(spanId)?.[0]?.score // 0.9
 */
export async function readTraceScores(
  store: ClickHouseStore,
  projectId: string,
  traceId: string,
  spanIds?: string[],
): Promise<Map<string, GenAiScore[]>> {
  const result = await store.client.query({
    query: `
      SELECT SpanId, name, score, label, explanation, evaluator, response_id, source,
        toString(toUnixTimestamp64Nano(Timestamp)) AS ts
      FROM \`${store.database}\`.genai_scores FINAL
      WHERE project_id = {projectId:String} AND TraceId = {traceId:String}
        ${spanIds ? 'AND SpanId IN {spanIds:Array(String)}' : ''}
      ORDER BY Timestamp, SpanId, name`,
    query_params: { projectId, traceId, ...(spanIds ? { spanIds } : {}) },
    format: 'JSONEachRow',
  });
  const bySpan = new Map<string, GenAiScore[]>();
  for (const r of await result.json<ScoreRow>()) {
    const scores = bySpan.get(r.SpanId) ?? [];
    scores.push({
      name: r.name,
      score: r.score === null ? null : Number(r.score),
      label: r.label,
      explanation: r.explanation,
      evaluator: r.evaluator,
      responseId: r.response_id,
      source: r.source,
      time: isoFromNanos(BigInt(r.ts)),
      timeUnixNano: r.ts,
    });
    bySpan.set(r.SpanId, scores);
  }
  return bySpan;
}
