import type { Migration } from './migration.ts';

/** The event name of an evaluation result (GenAI semantic conventions, events: `gen_ai.evaluation.result`). */
export const evaluationResultEvent = 'gen_ai.evaluation.result';

/**
 * The columns of one evaluation result, from a map of its attributes (`attrs`) and the
 * evaluator when the record names none. Attribute names from the GenAI registry
 * (`gen_ai.evaluation.*`); the conventions have no evaluator attribute, so
 * `gen_ai.evaluation.evaluator` is read where an app sends one. Part of migration 14.
 */
function scoreColumns(attrs: string, evaluatorElse: string): string {
  return `${attrs}['gen_ai.evaluation.name'] AS name,
      toFloat64OrNull(${attrs}['gen_ai.evaluation.score.value']) AS score,
      ${attrs}['gen_ai.evaluation.score.label'] AS label,
      ${attrs}['gen_ai.evaluation.explanation'] AS explanation,
      if(${attrs}['gen_ai.evaluation.evaluator'] != '', ${attrs}['gen_ai.evaluation.evaluator'], ${evaluatorElse}) AS evaluator,
      ${attrs}['gen_ai.response.id'] AS response_id`;
}

/**
 * Rows of genai_scores from evaluation results sent as OTLP log records (otel_logs): the
 * evaluator is the record's instrumentation scope when it names none. Part of migration 14.
 */
export function scoresFromLogsSelect(source: string): string {
  return `SELECT project_id, Timestamp, TraceId, SpanId, ${scoreColumns('LogAttributes', 'ScopeName')},
      'log_record' AS source, job_id, job_version
    FROM ${source}
    WHERE EventName = '${evaluationResultEvent}' AND LogAttributes['gen_ai.evaluation.name'] != ''`;
}

/**
 * Rows of genai_scores from evaluation results sent as span events (older instrumentations):
 * only the matching events are array-joined, so a span without one costs the view no row.
 * Part of migration 14.
 */
export function scoresFromSpansSelect(source: string): string {
  return `SELECT project_id, e.1 AS Timestamp, TraceId, SpanId, ${scoreColumns('e.2', "''")},
      'span_event' AS source, job_id, job_version
    FROM ${source}
    ARRAY JOIN arrayFilter(x -> x.3 = '${evaluationResultEvent}', arrayZip(Events.Timestamp, Events.Attributes, Events.Name)) AS e
    WHERE e.2['gen_ai.evaluation.name'] != ''`;
}

/**
 * Migration 14: evaluation results (`gen_ai.evaluation.result`) as scores of their span and
 * trace, filled by materialized views from both ways they arrive, so every writer (the
 * all-in-one, the ingester) stores them without knowing of them.
 */
export const genAiScoresMigration: Migration = {
  version: 14,
  name: 'GenAI evaluation results as scores (genai_scores)',
  steps: [
    // One row per result. The key ends in what identifies a result, so a span or record a
    // sender re-sends collapses into one row (ReplacingMergeTree); reads deduplicate until
    // merges do. A trace's scores stay on its shard.
    {
      kind: 'createTable',
      table: 'genai_scores',
      columns: `
        project_id LowCardinality(String) CODEC(ZSTD(1)),
        Timestamp DateTime64(9, 'UTC') CODEC(Delta(8), ZSTD(1)),
        TraceId String CODEC(ZSTD(1)),
        SpanId String CODEC(ZSTD(1)),
        name LowCardinality(String) CODEC(ZSTD(1)),
        score Nullable(Float64) CODEC(ZSTD(1)),
        label LowCardinality(String) CODEC(ZSTD(1)),
        explanation String CODEC(ZSTD(3)),
        evaluator LowCardinality(String) CODEC(ZSTD(1)),
        response_id String CODEC(ZSTD(1)),
        source LowCardinality(String) CODEC(ZSTD(1)),
        job_id String CODEC(ZSTD(1)),
        job_version String CODEC(ZSTD(1)),
        INDEX idx_job_id job_id TYPE bloom_filter(0.01) GRANULARITY 1`,
      engine: { name: 'ReplacingMergeTree' },
      partitionBy: 'toYYYYMM(Timestamp)',
      orderBy: '(project_id, TraceId, SpanId, name, evaluator, source, Timestamp)',
      deduplicated: true,
      shardBy: 'cityHash64(TraceId)',
    },
    {
      kind: 'createView',
      view: 'genai_scores_logs_mv',
      to: 'genai_scores',
      from: 'otel_logs',
      select: scoresFromLogsSelect,
    },
    {
      kind: 'createView',
      view: 'genai_scores_spans_mv',
      to: 'genai_scores',
      from: 'spans',
      select: scoresFromSpansSelect,
    },
    // Back-fill what was stored before (llmp migrates before it takes data in).
    { kind: 'insertSelect', table: 'genai_scores', from: 'otel_logs', select: scoresFromLogsSelect },
    {
      kind: 'insertSelect',
      table: 'genai_scores',
      from: 'spans',
      final: true,
      select: scoresFromSpansSelect,
    },
  ],
};
