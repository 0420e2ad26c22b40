/**
 * The schema, as an append-only list of versioned migrations. Never edit a released one: add
 * the next version. `{db}` is replaced by the (validated) database identifier; values never
 * appear in these statements.
 */
export interface Migration {
  version: number;
  name: string;
  statements: string[];
}

// Deduplication of repeated inserts (same insert_deduplication_token) on non-replicated
// MergeTree tables needs a non-zero window; materialized views inherit it through
// deduplicate_blocks_in_dependent_materialized_views on the insert.
const dedupWindow = 'non_replicated_deduplication_window = 10000';

const attributeMap = 'Map(LowCardinality(String), String)';
// OTLP attribute types other than string (int, double, bool, bytes, array, kvlist), so the API
// returns attributes with the type they were sent with.
const attributeTypes = 'Map(LowCardinality(String), LowCardinality(String))';

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'spans and trace lookup',
    statements: [
      // The OpenTelemetry Collector's otel_traces shape, plus project, job link and GenAI columns.
      `CREATE TABLE IF NOT EXISTS {db}.spans (
        project_id LowCardinality(String) CODEC(ZSTD(1)),
        Timestamp DateTime64(9, 'UTC') CODEC(Delta(8), ZSTD(1)),
        TraceId String CODEC(ZSTD(1)),
        SpanId String CODEC(ZSTD(1)),
        ParentSpanId String CODEC(ZSTD(1)),
        TraceState String CODEC(ZSTD(1)),
        TraceFlags UInt32 CODEC(ZSTD(1)),
        SpanName LowCardinality(String) CODEC(ZSTD(1)),
        SpanKind LowCardinality(String) CODEC(ZSTD(1)),
        ServiceName LowCardinality(String) CODEC(ZSTD(1)),
        ResourceAttributes ${attributeMap} CODEC(ZSTD(1)),
        ResourceAttributeTypes ${attributeTypes} CODEC(ZSTD(1)),
        ResourceSchemaUrl LowCardinality(String) CODEC(ZSTD(1)),
        ScopeName String CODEC(ZSTD(1)),
        ScopeVersion String CODEC(ZSTD(1)),
        ScopeAttributes ${attributeMap} CODEC(ZSTD(1)),
        ScopeAttributeTypes ${attributeTypes} CODEC(ZSTD(1)),
        SpanAttributes ${attributeMap} CODEC(ZSTD(1)),
        SpanAttributeTypes ${attributeTypes} CODEC(ZSTD(1)),
        Duration UInt64 CODEC(ZSTD(1)),
        StatusCode LowCardinality(String) CODEC(ZSTD(1)),
        StatusMessage String CODEC(ZSTD(1)),
        Events Nested (
          Timestamp DateTime64(9, 'UTC'),
          Name LowCardinality(String),
          Attributes ${attributeMap},
          AttributeTypes ${attributeTypes}
        ) CODEC(ZSTD(1)),
        Links Nested (
          TraceId String,
          SpanId String,
          TraceState String,
          Flags UInt32,
          Attributes ${attributeMap},
          AttributeTypes ${attributeTypes}
        ) CODEC(ZSTD(1)),
        DroppedAttributesCount UInt32 CODEC(ZSTD(1)),
        DroppedEventsCount UInt32 CODEC(ZSTD(1)),
        DroppedLinksCount UInt32 CODEC(ZSTD(1)),
        job_id String CODEC(ZSTD(1)),
        job_version String CODEC(ZSTD(1)),
        job_type LowCardinality(String) CODEC(ZSTD(1)),
        span_type LowCardinality(String) CODEC(ZSTD(1)),
        gen_ai_operation LowCardinality(String) CODEC(ZSTD(1)),
        gen_ai_provider LowCardinality(String) CODEC(ZSTD(1)),
        gen_ai_request_model LowCardinality(String) CODEC(ZSTD(1)),
        gen_ai_response_model LowCardinality(String) CODEC(ZSTD(1)),
        gen_ai_input_tokens UInt64 CODEC(ZSTD(1)),
        gen_ai_output_tokens UInt64 CODEC(ZSTD(1)),
        gen_ai_cache_read_tokens UInt64 CODEC(ZSTD(1)),
        gen_ai_cache_write_tokens UInt64 CODEC(ZSTD(1)),
        gen_ai_reasoning_tokens UInt64 CODEC(ZSTD(1)),
        gen_ai_cost_usd Nullable(Float64) CODEC(ZSTD(1)),
        session_id String CODEC(ZSTD(1)),
        user_id String CODEC(ZSTD(1)),
        INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
        INDEX idx_job_id job_id TYPE bloom_filter(0.01) GRANULARITY 1,
        INDEX idx_span_attr_key mapKeys(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
        INDEX idx_span_attr_value mapValues(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
        INDEX idx_duration Duration TYPE minmax GRANULARITY 1
      ) ENGINE = MergeTree
      PARTITION BY toDate(Timestamp)
      ORDER BY (project_id, ServiceName, SpanName, toDateTime(Timestamp))
      SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, ${dedupWindow}`,
      // Trace id -> time range, so a trace is read from the partitions that hold it (the
      // Collector's otel_traces_trace_id_ts).
      `CREATE TABLE IF NOT EXISTS {db}.trace_id_ts (
        project_id LowCardinality(String) CODEC(ZSTD(1)),
        TraceId String CODEC(ZSTD(1)),
        Start DateTime64(9, 'UTC') CODEC(Delta(8), ZSTD(1)),
        End DateTime64(9, 'UTC') CODEC(Delta(8), ZSTD(1))
      ) ENGINE = MergeTree
      PARTITION BY toDate(Start)
      ORDER BY (project_id, TraceId, Start)
      SETTINGS index_granularity = 8192, ${dedupWindow}`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.trace_id_ts_mv TO {db}.trace_id_ts AS
        SELECT project_id, TraceId, min(Timestamp) AS Start, max(Timestamp) AS End
        FROM {db}.spans
        WHERE TraceId != ''
        GROUP BY project_id, TraceId`,
    ],
  },
  {
    version: 2,
    name: 'normalised GenAI text, cost source, session and user indexes',
    statements: [
      // Texts are the readable input / output of the genai processor: large and repetitive, so a
      // stronger ZSTD level pays; previews are short, for lists, and read without the full text.
      `ALTER TABLE {db}.spans
        ADD COLUMN IF NOT EXISTS gen_ai_input_text String CODEC(ZSTD(3)),
        ADD COLUMN IF NOT EXISTS gen_ai_output_text String CODEC(ZSTD(3)),
        ADD COLUMN IF NOT EXISTS gen_ai_input_preview String CODEC(ZSTD(1)),
        ADD COLUMN IF NOT EXISTS gen_ai_output_preview String CODEC(ZSTD(1)),
        ADD COLUMN IF NOT EXISTS gen_ai_cost_source LowCardinality(String) CODEC(ZSTD(1)),
        ADD COLUMN IF NOT EXISTS gen_ai_price_id LowCardinality(String) CODEC(ZSTD(1))`,
      'ALTER TABLE {db}.spans ADD INDEX IF NOT EXISTS idx_session_id session_id TYPE bloom_filter(0.01) GRANULARITY 1',
      'ALTER TABLE {db}.spans ADD INDEX IF NOT EXISTS idx_user_id user_id TYPE bloom_filter(0.01) GRANULARITY 1',
    ],
  },
];
