import { genAiScoresMigration, scoresFromSpansSelect } from './genAiScoresMigration.ts';
import { jobEventPublicationsMigration } from './jobEventPublicationsMigration.ts';
import { mergeSelectorMigration } from './mergeSelectorMigration.ts';
import type { Migration } from './migration.ts';
import type { SchemaStep } from './schemaStep.ts';

export type { Migration } from './migration.ts';

// The schema, as an append-only list of versioned migrations (`migrations` below). Never change
// what a released one does: add the next version. Each is a list of schema steps (schemaStep.ts)
// that renderSchemaStep turns into the statements of one server or of a cluster; values never
// appear in them. Migration lives in its own file so that migrations kept in files of their own
// (genAiScoresMigration.ts) do not import this list back (an import cycle).

// Deduplication of repeated inserts (same insert_deduplication_token) needs a non-zero window
// (`deduplicated: true` renders it for either engine); materialized views inherit it through
// deduplicate_blocks_in_dependent_materialized_views on the insert.

// Rows that share a trace stay on one shard of a cluster: a trace is read, summarised and
// collapsed (FINAL) there.
const byTrace = 'cityHash64(TraceId)';

// Part of migration 1 and of the rebuild in migration 7.
const spansSortKey = '(project_id, ServiceName, SpanName, toDateTime(Timestamp), TraceId, SpanId)';

const attributeMap = 'Map(LowCardinality(String), String)';
// OTLP attribute types other than string (int, double, bool, bytes, array, kvlist), so the API
// returns attributes with the type they were sent with.
const attributeTypes = 'Map(LowCardinality(String), LowCardinality(String))';

/**
 * The duration quantiles of the rollup: the state is stored by migration 6, so this never
 * changes; spanMetrics merges it with `${rollupQuantiles.merge}`.
 */
export const rollupQuantiles = {
  state: 'quantilesTDigestState(0.5, 0.9, 0.99)',
  merge: 'quantilesTDigestMerge(0.5, 0.9, 0.99)',
} as const;
const rollupDurationState = 'AggregateFunction(quantilesTDigest(0.5, 0.9, 0.99), UInt64)';

/** Where span_metrics_hourly begins and ends, Unix nanoseconds: its hour is a DateTime. */
export const rollupStartNs = 0n;
export const rollupEndNs = BigInt(Date.parse('2106-01-01T00:00:00Z')) * 1_000_000n;

/** The columns of span_metrics_hourly, in the order rollupSelect gives them. */
export const rollupColumns = `project_id, bucket, ServiceName, SpanName, job_id, job_version, span_type, gen_ai_provider,
  gen_ai_request_model, gen_ai_response_model, StatusCode, spans, duration, input_tokens, output_tokens,
  cache_read_tokens, cache_write_tokens, reasoning_tokens, cost_usd`;

/**
 * Rows of span_metrics_hourly from `source` (spans, spans FINAL) under extra `where`
 * conditions: the materialized view, the back-fill and the query of the hours the rollup does
 * not hold all use it. Part of migration 6: a change needs a new migration.
 */
export function rollupSelect(source: string, where: string[] = []): string {
  return `SELECT project_id, toStartOfHour(Timestamp) AS bucket, ServiceName, SpanName, job_id, job_version,
      if(span_type = '', 'other', span_type) AS span_type, gen_ai_provider, gen_ai_request_model,
      gen_ai_response_model, StatusCode,
      count() AS spans,
      ${rollupQuantiles.state}(Duration) AS duration,
      sum(gen_ai_input_tokens) AS input_tokens, sum(gen_ai_output_tokens) AS output_tokens,
      sum(gen_ai_cache_read_tokens) AS cache_read_tokens, sum(gen_ai_cache_write_tokens) AS cache_write_tokens,
      sum(gen_ai_reasoning_tokens) AS reasoning_tokens, sum(ifNull(gen_ai_cost_usd, 0)) AS cost_usd
    FROM ${source}
    WHERE Timestamp >= fromUnixTimestamp64Nano(${rollupStartNs}, 'UTC')
      AND Timestamp < fromUnixTimestamp64Nano(${rollupEndNs}, 'UTC')
      ${where.map((w) => `AND ${w}`).join(' ')}
    GROUP BY project_id, bucket, ServiceName, SpanName, job_id, job_version, span_type, gen_ai_provider,
      gen_ai_request_model, gen_ai_response_model, StatusCode`;
}

/** Rows of trace_id_ts from a spans source. Part of migration 1. */
function traceIdTsSelect(source: string): string {
  return `SELECT project_id, TraceId, min(Timestamp) AS Start, max(Timestamp) AS End
        FROM ${source}
        WHERE TraceId != ''
        GROUP BY project_id, TraceId`;
}

/**
 * The otel_metrics_* tables of migration 13: the OpenTelemetry Collector ClickHouse exporter's
 * metric table shapes (times as DateTime64(9) in UTC), plus project and job link. `columns` are
 * those of the metric type, between the series identity and the flags. Part of migration 13.
 */
function metricTable(table: string, columns: string, exemplars: boolean): SchemaStep {
  return {
    kind: 'createTable',
    table,
    columns: `
        project_id LowCardinality(String) CODEC(ZSTD(1)),
        ResourceAttributes ${attributeMap} CODEC(ZSTD(1)),
        ResourceSchemaUrl String CODEC(ZSTD(1)),
        ScopeName String CODEC(ZSTD(1)),
        ScopeVersion String CODEC(ZSTD(1)),
        ScopeAttributes ${attributeMap} CODEC(ZSTD(1)),
        ScopeDroppedAttrCount UInt32 CODEC(ZSTD(1)),
        ScopeSchemaUrl String CODEC(ZSTD(1)),
        ServiceName LowCardinality(String) CODEC(ZSTD(1)),
        MetricName LowCardinality(String) CODEC(ZSTD(1)),
        MetricDescription String CODEC(ZSTD(1)),
        MetricUnit String CODEC(ZSTD(1)),
        Attributes ${attributeMap} CODEC(ZSTD(1)),
        StartTimeUnix DateTime64(9, 'UTC') CODEC(Delta(8), ZSTD(1)),
        TimeUnix DateTime64(9, 'UTC') CODEC(Delta(8), ZSTD(1)),${columns}${
          exemplars
            ? `
        Exemplars Nested (
          FilteredAttributes ${attributeMap},
          TimeUnix DateTime64(9, 'UTC'),
          Value Float64,
          SpanId String,
          TraceId String
        ) CODEC(ZSTD(1)),`
            : ''
        }
        Flags UInt32 CODEC(ZSTD(1)),
        job_id String CODEC(ZSTD(1)),
        job_version String CODEC(ZSTD(1)),
        job_type LowCardinality(String) CODEC(ZSTD(1)),
        INDEX idx_job_id job_id TYPE bloom_filter(0.01) GRANULARITY 1,
        INDEX idx_attr_key mapKeys(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1,
        INDEX idx_attr_value mapValues(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1`,
    engine: { name: 'MergeTree' },
    partitionBy: 'toDate(TimeUnix)',
    // A series (name + attributes) reads from few granules, in time order.
    orderBy: '(project_id, ServiceName, MetricName, cityHash64(Attributes), TimeUnix)',
    deduplicated: true,
    // One series stays on one shard, so its points are read and aggregated there.
    shardBy: 'cityHash64(project_id, ServiceName, MetricName)',
  };
}

/** Rows of trace_jobs from a spans source. Part of migration 3. */
function traceJobsSelect(source: string): string {
  return `SELECT project_id, job_id, TraceId, any(job_version) AS job_version, any(job_type) AS job_type,
          min(Timestamp) AS Start
        FROM ${source}
        WHERE job_id != '' AND TraceId != ''
        GROUP BY project_id, job_id, TraceId`;
}

/** Rows of trace_summary from a spans source (the view, or the back-fill). Part of migration 6. */
function traceSummarySelect(source: string): string {
  return `SELECT project_id, TraceId, min(Timestamp) AS start,
      max(toUnixTimestamp64Nano(Timestamp) + toInt64(Duration)) AS end_ns,
      count() AS spans, countIf(StatusCode = 'Error') AS errors,
      sum(gen_ai_input_tokens) AS input_tokens, sum(gen_ai_output_tokens) AS output_tokens,
      sum(ifNull(gen_ai_cost_usd, 0)) AS cost_usd, countIf(gen_ai_cost_usd IS NOT NULL) AS costed,
      countIf(SpanAttributes['llmp.validation.output'] != '') AS checked,
      countIf(SpanAttributes['llmp.validation.output'] = 'pass') AS passed
    FROM ${source}
    WHERE TraceId != ''
    GROUP BY project_id, TraceId`;
}

/**
 * Rows of trace_job_usage from a spans source (the view, or the back-fill). Part of migration
 * 11: tokens and cost of model calls only (span_type llm or embedding), as spans, traces and
 * metrics count them, since a wrapper span (agent, chain) may repeat its children's usage.
 */
function traceJobUsageSelect(source: string): string {
  const calls = "span_type IN ('llm', 'embedding')";
  return `SELECT project_id, TraceId, job_id, job_version, min(Timestamp) AS start,
      max(toUnixTimestamp64Nano(Timestamp) + toInt64(Duration)) AS end_ns,
      count() AS spans, countIf(StatusCode = 'Error') AS errors,
      sumIf(gen_ai_input_tokens, ${calls}) AS input_tokens, sumIf(gen_ai_output_tokens, ${calls}) AS output_tokens,
      sumIf(ifNull(gen_ai_cost_usd, 0), ${calls}) AS cost_usd,
      countIf(gen_ai_cost_usd IS NOT NULL AND ${calls}) AS costed,
      countIf(SpanAttributes['llmp.validation.output'] != '') AS checked,
      countIf(SpanAttributes['llmp.validation.output'] = 'pass') AS passed
    FROM ${source}
    WHERE TraceId != ''
    GROUP BY project_id, TraceId, job_id, job_version`;
}

/**
 * Rows of trace_search from a spans source: one per trace and insert (the view), or per trace
 * (the back-fill). Part of migration 15: what trace search filters by (the values its spans
 * hold, per dimension) and what a page shows (extent, root, counts, usage), so a search reads
 * this table in start order instead of spans.
 */
export function traceSearchSelect(source: string): string {
  const calls = "span_type IN ('llm', 'embedding')";
  return `SELECT project_id, min(Timestamp) AS start, TraceId, max(Timestamp) AS last,
      max(toUnixTimestamp64Nano(Timestamp) + toInt64(Duration)) AS end_ns,
      count() AS spans, countIf(StatusCode = 'Error') AS errors,
      countIf(ParentSpanId = '') > 0 AS has_root,
      minIf(Timestamp, ParentSpanId = '') AS root_ts,
      argMinIf(SpanName, Timestamp, ParentSpanId = '') AS root_name,
      argMinIf(ServiceName, Timestamp, ParentSpanId = '') AS root_service,
      argMin(SpanName, Timestamp) AS first_name, argMin(ServiceName, Timestamp) AS first_service,
      sumIf(gen_ai_input_tokens, ${calls}) AS input_tokens, sumIf(gen_ai_output_tokens, ${calls}) AS output_tokens,
      sumIf(gen_ai_cache_read_tokens, ${calls}) AS cache_read_tokens,
      sumIf(gen_ai_cache_write_tokens, ${calls}) AS cache_write_tokens,
      sumIf(gen_ai_reasoning_tokens, ${calls}) AS reasoning_tokens,
      sumIf(ifNull(gen_ai_cost_usd, 0), ${calls}) AS cost_usd,
      countIf(gen_ai_cost_usd IS NOT NULL AND ${calls}) AS costed,
      groupUniqArray(ServiceName) AS services, groupUniqArray(SpanName) AS span_names,
      arrayFilter(m -> m != '', arrayDistinct(arrayConcat(groupUniqArray(gen_ai_request_model),
        groupUniqArray(gen_ai_response_model)))) AS models,
      groupUniqArray(gen_ai_provider) AS providers,
      groupUniqArray(if(span_type = '', 'other', span_type)) AS span_types,
      groupUniqArray(StatusCode) AS statuses,
      groupUniqArrayIf(job_id, job_id != '') AS jobs,
      groupUniqArrayIf(job_version, job_id != '') AS job_versions,
      countIf(job_id = '') > 0 AS unnamed,
      groupUniqArray(session_id) AS sessions, groupUniqArray(user_id) AS users
    FROM ${source}
    WHERE TraceId != ''
    GROUP BY project_id, TraceId`;
}

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'spans and trace lookup',
    steps: [
      // The OpenTelemetry Collector's otel_traces shape, plus project, job link and GenAI columns.
      {
        kind: 'createTable',
        table: 'spans',
        columns: `
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
      `,
        engine: { name: 'ReplacingMergeTree' },
        partitionBy: 'toDate(Timestamp)',
        // TraceId and SpanId close the key so that a span stored twice collapses into one row: a
        // sender that retries after a lost acknowledgement sends the same span in a new request,
        // which no insert deduplication token can recognise. Reads deduplicate until merges do.
        orderBy: spansSortKey,
        settings: ['index_granularity = 8192', 'ttl_only_drop_parts = 1'],
        deduplicated: true,
        shardBy: byTrace,
      },
      // Trace id -> time range, so a trace is read from the partitions that hold it (the
      // Collector's otel_traces_trace_id_ts).
      {
        kind: 'createTable',
        table: 'trace_id_ts',
        columns: `
        project_id LowCardinality(String) CODEC(ZSTD(1)),
        TraceId String CODEC(ZSTD(1)),
        Start DateTime64(9, 'UTC') CODEC(Delta(8), ZSTD(1)),
        End DateTime64(9, 'UTC') CODEC(Delta(8), ZSTD(1))
      `,
        engine: { name: 'MergeTree' },
        partitionBy: 'toDate(Start)',
        orderBy: '(project_id, TraceId, Start)',
        settings: ['index_granularity = 8192'],
        deduplicated: true,
        shardBy: byTrace,
      },
      {
        kind: 'createView',
        view: 'trace_id_ts_mv',
        to: 'trace_id_ts',
        from: 'spans',
        select: traceIdTsSelect,
      },
    ],
  },
  {
    version: 2,
    name: 'normalised GenAI text, cost source, session and user indexes',
    steps: [
      // Texts are the readable input / output of the genai processor: large and repetitive, so a
      // stronger ZSTD level pays; previews are short, for lists, and read without the full text.
      {
        kind: 'addColumns',
        table: 'spans',
        columns: [
          { name: 'gen_ai_input_text', type: 'String', codec: 'ZSTD(3)' },
          { name: 'gen_ai_output_text', type: 'String', codec: 'ZSTD(3)' },
          { name: 'gen_ai_input_preview', type: 'String', codec: 'ZSTD(1)' },
          { name: 'gen_ai_output_preview', type: 'String', codec: 'ZSTD(1)' },
          { name: 'gen_ai_cost_source', type: 'LowCardinality(String)', codec: 'ZSTD(1)' },
          { name: 'gen_ai_price_id', type: 'LowCardinality(String)', codec: 'ZSTD(1)' },
        ],
      },
      {
        kind: 'alterLocal',
        table: 'spans',
        action: 'ADD INDEX IF NOT EXISTS idx_session_id session_id TYPE bloom_filter(0.01) GRANULARITY 1',
      },
      {
        kind: 'alterLocal',
        table: 'spans',
        action: 'ADD INDEX IF NOT EXISTS idx_user_id user_id TYPE bloom_filter(0.01) GRANULARITY 1',
      },
    ],
  },
  {
    version: 3,
    name: 'jobs, job events and trace to job links',
    steps: [
      // One row per job version. Not partitioned: a deduplication token only collides within a
      // partition, and writers claim version n+1 by inserting with the token (project, job, n+1).
      {
        kind: 'createTable',
        table: 'jobs',
        columns: `
        project_id LowCardinality(String),
        id String,
        version UInt32,
        job_type LowCardinality(String),
        name String,
        description String,
        prompt String,
        input_model String,
        output_model String,
        validation_script String,
        test_input String,
        metadata String,
        spec String,
        template_id String,
        discovered Bool,
        creation_event_id String,
        update_event_id String,
        created_at DateTime64(3, 'UTC'),
        updated_at DateTime64(3, 'UTC')
      `,
        engine: { name: 'MergeTree' },
        orderBy: '(project_id, id, version)',
        deduplicated: true,
        shardBy: 'cityHash64(project_id, id)',
      },
      // Every create, update and status change, numbered per job; seq n+1 is claimed the same
      // way as a version, so two status changes can never both follow seq n.
      {
        kind: 'createTable',
        table: 'job_events',
        columns: `
        project_id LowCardinality(String),
        job_id String,
        seq UInt64,
        event_id String,
        kind LowCardinality(String),
        actor String,
        time DateTime64(3, 'UTC'),
        version UInt32,
        status LowCardinality(String),
        changes String
      `,
        engine: { name: 'MergeTree' },
        orderBy: '(project_id, job_id, seq)',
        deduplicated: true,
        shardBy: 'cityHash64(project_id, job_id)',
      },
      // Trace -> job, from every span that names a job, whenever it arrives; resolved at query
      // time so the spans stored before the job-carrying one are linked too.
      {
        kind: 'createTable',
        table: 'trace_jobs',
        columns: `
        project_id LowCardinality(String),
        job_id String,
        TraceId String,
        job_version String,
        job_type LowCardinality(String),
        Start DateTime64(9, 'UTC'),
        INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1
      `,
        engine: { name: 'MergeTree' },
        orderBy: '(project_id, job_id, TraceId)',
        deduplicated: true,
        shardBy: byTrace,
      },
      { kind: 'createView', view: 'trace_jobs_mv', to: 'trace_jobs', from: 'spans', select: traceJobsSelect },
    ],
  },
  {
    version: 4,
    name: 'job templates',
    steps: [
      // A template is written once; its id is claimed like a job version (token, read back).
      {
        kind: 'createTable',
        table: 'job_templates',
        columns: `
        project_id LowCardinality(String),
        id String,
        name String,
        job_type LowCardinality(String),
        definition String,
        created_at DateTime64(3, 'UTC'),
        create_id String
      `,
        engine: { name: 'MergeTree' },
        orderBy: '(project_id, id)',
        deduplicated: true,
        shardBy: 'cityHash64(project_id, id)',
      },
    ],
  },
  {
    version: 5,
    name: 'MLflow sync states',
    steps: [
      // Where each trace stands with MLflow, written by whichever process uploads or deletes it
      // and read by every API process. One row per change; the latest updated_at wins (read with
      // FINAL until merges collapse them), so a restart finds the uploads and deletions still pending.
      {
        kind: 'createTable',
        table: 'mlflow_sync',
        columns: `
        project_id LowCardinality(String),
        TraceId String,
        operation LowCardinality(String),
        state LowCardinality(String),
        reason String,
        experiment_id String,
        attempts UInt32,
        updated_at DateTime64(6, 'UTC')
      `,
        engine: { name: 'ReplacingMergeTree', args: 'updated_at' },
        orderBy: '(project_id, TraceId)',
        shardBy: byTrace,
      },
    ],
  },
  {
    version: 6,
    name: 'hourly span metrics rollup and trace summary',
    steps: [
      // Per project x hour x every dimension GET /v1/metrics groups or filters by: span counts,
      // a mergeable duration quantile state, token sums and cost. Model and span type keep the
      // columns the filters read (request and response model; span type with '' read as other),
      // so the same filter SQL applies to spans and to this table. See spanMetricsRollup.ts for
      // when the rollup answers exactly and how it differs from the raw read.
      {
        kind: 'createTable',
        table: 'span_metrics_hourly',
        columns: `
        project_id LowCardinality(String),
        bucket DateTime('UTC'),
        ServiceName LowCardinality(String),
        SpanName LowCardinality(String),
        job_id String,
        job_version String,
        span_type LowCardinality(String),
        gen_ai_provider LowCardinality(String),
        gen_ai_request_model LowCardinality(String),
        gen_ai_response_model LowCardinality(String),
        StatusCode LowCardinality(String),
        spans SimpleAggregateFunction(sum, UInt64),
        duration ${rollupDurationState},
        input_tokens SimpleAggregateFunction(sum, UInt64),
        output_tokens SimpleAggregateFunction(sum, UInt64),
        cache_read_tokens SimpleAggregateFunction(sum, UInt64),
        cache_write_tokens SimpleAggregateFunction(sum, UInt64),
        reasoning_tokens SimpleAggregateFunction(sum, UInt64),
        cost_usd SimpleAggregateFunction(sum, Float64)
      `,
        engine: { name: 'AggregatingMergeTree' },
        partitionBy: 'toYYYYMM(bucket)',
        orderBy: `(project_id, bucket, ServiceName, SpanName, job_id, job_version, span_type, gen_ai_provider,
        gen_ai_request_model, gen_ai_response_model, StatusCode)`,
        deduplicated: true,
        shardBy: 'cityHash64(project_id, bucket)',
      },
      // Hours whose spans were deleted (DELETE /v1/traces/{id}): a quantile state cannot be
      // subtracted, so these hours are read from spans instead of from the rollup.
      {
        kind: 'createTable',
        table: 'span_metrics_stale_hours',
        columns: `
        project_id LowCardinality(String),
        bucket DateTime('UTC')
      `,
        engine: { name: 'ReplacingMergeTree' },
        orderBy: '(project_id, bucket)',
        shardBy: 'cityHash64(project_id, bucket)',
      },
      // DateTime ends in 2106: spans outside [1970, 2106) stay out of the rollup, and ranges
      // reaching there are read from spans (spanMetricsRollup.ts).
      {
        kind: 'createView',
        view: 'span_metrics_hourly_mv',
        to: 'span_metrics_hourly',
        from: 'spans',
        select: (source) => rollupSelect(source),
      },
      // Back-fill what was stored before: FINAL, so a span stored twice counts once. A span
      // inserted while this runs (after the view exists) can be counted twice; llmp runs
      // migrations before it takes data in.
      {
        kind: 'insertSelect',
        table: 'span_metrics_hourly',
        from: 'spans',
        final: true,
        select: (source) => rollupSelect(source),
      },
      // Per trace: extent, span and error counts, tokens, cost and validation results, what
      // job metrics (GET /v1/jobs/{id}/metrics) add up per run. deleteTrace deletes a trace's
      // rows here too; a span a sender re-sends counts once per copy, as in the hourly rollup.
      {
        kind: 'createTable',
        table: 'trace_summary',
        columns: `
        project_id LowCardinality(String),
        TraceId String,
        start SimpleAggregateFunction(min, DateTime64(9, 'UTC')),
        end_ns SimpleAggregateFunction(max, Int64),
        spans SimpleAggregateFunction(sum, UInt64),
        errors SimpleAggregateFunction(sum, UInt64),
        input_tokens SimpleAggregateFunction(sum, UInt64),
        output_tokens SimpleAggregateFunction(sum, UInt64),
        cost_usd SimpleAggregateFunction(sum, Float64),
        costed SimpleAggregateFunction(sum, UInt64),
        checked SimpleAggregateFunction(sum, UInt64),
        passed SimpleAggregateFunction(sum, UInt64)
      `,
        engine: { name: 'AggregatingMergeTree' },
        orderBy: '(project_id, TraceId)',
        deduplicated: true,
        shardBy: byTrace,
      },
      {
        kind: 'createView',
        view: 'trace_summary_mv',
        to: 'trace_summary',
        from: 'spans',
        select: traceSummarySelect,
      },
      {
        kind: 'insertSelect',
        table: 'trace_summary',
        from: 'spans',
        final: true,
        select: traceSummarySelect,
      },
    ],
  },
  {
    version: 7,
    name: 'spans inserted as compact parts',
    steps: [
      // A span INSERT of more than 10 MiB (~2 500 LLM spans) made a wide part: ~310 files, one
      // or more per column and Map substream, which cost more engine and kernel CPU than the data
      // (docs/benchmarks.md, "Insert CPU"). A compact part is ~25 files. Merged parts past
      // 256 MiB uncompressed (~60 000 LLM spans) are wide again, which reads of few columns in
      // large parts prefer. Applies to parts written from now on; existing parts stay as they are.
      { kind: 'alterLocal', table: 'spans', action: 'MODIFY SETTING min_bytes_for_wide_part = 268435456' },
    ],
  },
  {
    version: 8,
    name: 'spans in granules of 1024 rows, compressed block by block',
    steps: [
      // A trace's spans lie apart in the sort order (service and span name come first), so a
      // trace read decompresses, for each span and each of ~100 column streams, the whole
      // compressed block holding its granule: 8 192 rows (or 64 KiB) for one row. Granules of
      // 1 024 rows (at most 1 MiB, for rows of long LLM text) in blocks of 4 KiB upwards cut
      // that read to an eighth; trace by id at 10 M spans reads about twice as fast, for ~4 %
      // more disk (docs/benchmarks.md, "Trace by id at 10 M spans"). A table's granularity
      // cannot be altered, so a new table with these settings (and every setting spans has by
      // now) takes the existing parts as they are (hard links, no copy: parts carry their own
      // granule sizes) and then the name; the materialized views read spans by name and follow
      // it, and attached parts do not pass through them. Existing parts keep 8 192-row granules
      // until a merge rewrites them (`OPTIMIZE TABLE llmp.spans FINAL` does it at once). Run
      // again after an interruption, it starts over from whichever table is spans by then.
      // Spans inserted by another process between the attach and the exchange would be lost
      // with the old table: stop other writers of this database while migrating.
      {
        kind: 'rebuildTable',
        table: 'spans',
        engine: { name: 'ReplacingMergeTree' },
        partitionBy: 'toDate(Timestamp)',
        orderBy: spansSortKey,
        settings: [
          'index_granularity = 1024',
          'index_granularity_bytes = 1048576',
          'min_compress_block_size = 4096',
          'min_bytes_for_wide_part = 268435456',
          'ttl_only_drop_parts = 1',
        ],
        deduplicated: true,
      },
    ],
  },
  {
    version: 9,
    name: 'marks of span parts loaded when a part is',
    steps: [
      // A trace read right after the store opened read its marks from disk: the first reads
      // took 40–120 ms against ~30 once the mark cache held them (trace by id p99 72.9 against
      // 34.9 ms over 300 traces at 10 M spans; docs/benchmarks.md, "Against the targets"). With
      // this, opening, inserting and merging load a part's marks (~1 MB at 10 M spans).
      { kind: 'alterLocal', table: 'spans', action: 'MODIFY SETTING prewarm_mark_cache = 1' },
      { kind: 'alterLocal', table: 'trace_id_ts', action: 'MODIFY SETTING prewarm_mark_cache = 1' },
    ],
  },
  {
    version: 10,
    name: 'span merges in blocks of at most 1 MiB',
    steps: [
      // A merge reads each of its parts in blocks of up to 8 192 rows or 10 MiB (the engine's
      // default); a few thousand LLM spans fill 10 MiB, so a merge of 7–8 small parts tracked
      // ~380 MiB, the largest share of the ingester's peak RSS (docs/benchmarks.md, "Memory of
      // the embedded roles"). 1 MiB is also the most a spans granule holds (migration 8).
      { kind: 'alterLocal', table: 'spans', action: 'MODIFY SETTING merge_max_block_size_bytes = 1048576' },
    ],
  },
  {
    version: 11,
    name: 'per trace and named job: what job metrics add up',
    steps: [
      // trace_summary adds up a whole trace: job metrics then counted the spans naming another
      // job and the usage of wrapper spans, which spans, traces and metrics leave out (issue 17).
      // Split by the job a span names (its own llmp.job.id and version, '' for none), job
      // metrics take the rows naming the job plus the unnamed rows of traces whose first link is
      // to it: the attribution every other read makes (traceJobAttribution.ts).
      {
        kind: 'createTable',
        table: 'trace_job_usage',
        columns: `
        project_id LowCardinality(String),
        TraceId String,
        job_id String,
        job_version String,
        start SimpleAggregateFunction(min, DateTime64(9, 'UTC')),
        end_ns SimpleAggregateFunction(max, Int64),
        spans SimpleAggregateFunction(sum, UInt64),
        errors SimpleAggregateFunction(sum, UInt64),
        input_tokens SimpleAggregateFunction(sum, UInt64),
        output_tokens SimpleAggregateFunction(sum, UInt64),
        cost_usd SimpleAggregateFunction(sum, Float64),
        costed SimpleAggregateFunction(sum, UInt64),
        checked SimpleAggregateFunction(sum, UInt64),
        passed SimpleAggregateFunction(sum, UInt64)
      `,
        engine: { name: 'AggregatingMergeTree' },
        orderBy: '(project_id, TraceId, job_id, job_version)',
        deduplicated: true,
        shardBy: byTrace,
      },
      {
        kind: 'createView',
        view: 'trace_job_usage_mv',
        to: 'trace_job_usage',
        from: 'spans',
        select: traceJobUsageSelect,
      },
      // As migration 6: FINAL, so a span stored twice counts once; llmp migrates before it takes data in.
      {
        kind: 'insertSelect',
        table: 'trace_job_usage',
        from: 'spans',
        final: true,
        select: traceJobUsageSelect,
      },
    ],
  },
  {
    version: 12,
    name: 'OTLP log records (otel_logs)',
    steps: [
      // The OpenTelemetry Collector ClickHouse exporter's otel_logs shape, plus project and job
      // link. GenAI events (gen_ai.client.inference.operation.details …) are joined to their span
      // at read time by (project_id, TraceId, SpanId): a trace's records stay on its shard.
      {
        kind: 'createTable',
        table: 'otel_logs',
        columns: `
        project_id LowCardinality(String) CODEC(ZSTD(1)),
        Timestamp DateTime64(9, 'UTC') CODEC(Delta(8), ZSTD(1)),
        ObservedTimestamp DateTime64(9, 'UTC') CODEC(Delta(8), ZSTD(1)),
        TraceId String CODEC(ZSTD(1)),
        SpanId String CODEC(ZSTD(1)),
        TraceFlags UInt8,
        SeverityText LowCardinality(String) CODEC(ZSTD(1)),
        SeverityNumber UInt8,
        ServiceName LowCardinality(String) CODEC(ZSTD(1)),
        Body String CODEC(ZSTD(1)),
        ResourceSchemaUrl LowCardinality(String) CODEC(ZSTD(1)),
        ResourceAttributes ${attributeMap} CODEC(ZSTD(1)),
        ScopeSchemaUrl LowCardinality(String) CODEC(ZSTD(1)),
        ScopeName String CODEC(ZSTD(1)),
        ScopeVersion LowCardinality(String) CODEC(ZSTD(1)),
        ScopeAttributes ${attributeMap} CODEC(ZSTD(1)),
        LogAttributes ${attributeMap} CODEC(ZSTD(1)),
        EventName String CODEC(ZSTD(1)),
        job_id String CODEC(ZSTD(1)),
        job_version String CODEC(ZSTD(1)),
        job_type LowCardinality(String) CODEC(ZSTD(1)),
        INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
        INDEX idx_job_id job_id TYPE bloom_filter(0.01) GRANULARITY 1`,
        engine: { name: 'MergeTree' },
        partitionBy: 'toDate(Timestamp)',
        orderBy: '(project_id, ServiceName, toDateTime(Timestamp), TraceId)',
        deduplicated: true,
        shardBy: byTrace,
      },
    ],
  },
  {
    version: 13,
    name: 'OTLP metrics (otel_metrics_sum, _gauge, _histogram, _exponential_histogram, _summary)',
    steps: [
      metricTable(
        'otel_metrics_sum',
        `
        Value Float64 CODEC(ZSTD(1)),
        AggregationTemporality Int32 CODEC(ZSTD(1)),
        IsMonotonic Bool CODEC(Delta(1), ZSTD(1)),`,
        true,
      ),
      metricTable(
        'otel_metrics_gauge',
        `
        Value Float64 CODEC(ZSTD(1)),`,
        true,
      ),
      metricTable(
        'otel_metrics_histogram',
        `
        Count UInt64 CODEC(Delta(8), ZSTD(1)),
        Sum Float64 CODEC(ZSTD(1)),
        BucketCounts Array(UInt64) CODEC(ZSTD(1)),
        ExplicitBounds Array(Float64) CODEC(ZSTD(1)),
        Min Float64 CODEC(ZSTD(1)),
        Max Float64 CODEC(ZSTD(1)),
        AggregationTemporality Int32 CODEC(ZSTD(1)),`,
        true,
      ),
      metricTable(
        'otel_metrics_exponential_histogram',
        `
        Count UInt64 CODEC(Delta(8), ZSTD(1)),
        Sum Float64 CODEC(ZSTD(1)),
        Scale Int32 CODEC(ZSTD(1)),
        ZeroCount UInt64 CODEC(ZSTD(1)),
        ZeroThreshold Float64 CODEC(ZSTD(1)),
        PositiveOffset Int32 CODEC(ZSTD(1)),
        PositiveBucketCounts Array(UInt64) CODEC(ZSTD(1)),
        NegativeOffset Int32 CODEC(ZSTD(1)),
        NegativeBucketCounts Array(UInt64) CODEC(ZSTD(1)),
        Min Float64 CODEC(ZSTD(1)),
        Max Float64 CODEC(ZSTD(1)),
        AggregationTemporality Int32 CODEC(ZSTD(1)),`,
        true,
      ),
      metricTable(
        'otel_metrics_summary',
        `
        Count UInt64 CODEC(Delta(8), ZSTD(1)),
        Sum Float64 CODEC(ZSTD(1)),
        ValueAtQuantiles Nested (
          Quantile Float64,
          Value Float64
        ) CODEC(ZSTD(1)),`,
        false,
      ),
    ],
  },
  genAiScoresMigration,
  {
    version: 15,
    name: 'trace search rows in start order',
    steps: [
      // Trace search read spans FINAL: at 10 M spans a single-filter search took 0.8-2.5 s
      // (docs/benchmarks.md, "Trace search"). Here each insert adds, per trace it holds, one row:
      // the trace's extent in that insert, the values of every search dimension its spans hold,
      // and what a page shows. Rows are immutable (no FINAL): a trace sent in several requests
      // has several rows, which a search adds up per trace (searchTraces.ts). Sorted by start, a
      // search newest first reads back from the end of its range until a page is full; skip
      // indexes on the dimension arrays pass over the granules where a value is absent. A span
      // a sender re-sends in a new request is counted once per copy, as in trace_summary.
      {
        kind: 'createTable',
        table: 'trace_search',
        columns: `
        project_id LowCardinality(String),
        start DateTime64(9, 'UTC') CODEC(Delta(8), ZSTD(1)),
        TraceId String CODEC(ZSTD(1)),
        last DateTime64(9, 'UTC') CODEC(Delta(8), ZSTD(1)),
        end_ns Int64 CODEC(ZSTD(1)),
        spans UInt64 CODEC(ZSTD(1)),
        errors UInt64 CODEC(ZSTD(1)),
        has_root Bool,
        root_ts DateTime64(9, 'UTC') CODEC(ZSTD(1)),
        root_name LowCardinality(String),
        root_service LowCardinality(String),
        first_name LowCardinality(String),
        first_service LowCardinality(String),
        input_tokens UInt64 CODEC(ZSTD(1)),
        output_tokens UInt64 CODEC(ZSTD(1)),
        cache_read_tokens UInt64 CODEC(ZSTD(1)),
        cache_write_tokens UInt64 CODEC(ZSTD(1)),
        reasoning_tokens UInt64 CODEC(ZSTD(1)),
        cost_usd Float64 CODEC(ZSTD(1)),
        costed UInt64 CODEC(ZSTD(1)),
        services Array(LowCardinality(String)),
        span_names Array(LowCardinality(String)),
        models Array(LowCardinality(String)),
        providers Array(LowCardinality(String)),
        span_types Array(LowCardinality(String)),
        statuses Array(LowCardinality(String)),
        jobs Array(String) CODEC(ZSTD(1)),
        job_versions Array(String) CODEC(ZSTD(1)),
        unnamed Bool,
        sessions Array(String) CODEC(ZSTD(1)),
        users Array(String) CODEC(ZSTD(1)),
        INDEX idx_services services TYPE bloom_filter(0.01) GRANULARITY 1,
        INDEX idx_span_names span_names TYPE bloom_filter(0.01) GRANULARITY 1,
        INDEX idx_models models TYPE bloom_filter(0.01) GRANULARITY 1,
        INDEX idx_jobs jobs TYPE bloom_filter(0.01) GRANULARITY 1,
        INDEX idx_sessions sessions TYPE bloom_filter(0.01) GRANULARITY 1,
        INDEX idx_users users TYPE bloom_filter(0.01) GRANULARITY 1`,
        engine: { name: 'MergeTree' },
        partitionBy: 'toDate(start)',
        orderBy: '(project_id, start, TraceId)',
        settings: ['index_granularity = 1024'],
        deduplicated: true,
        shardBy: byTrace,
      },
      {
        kind: 'createView',
        view: 'trace_search_mv',
        to: 'trace_search',
        from: 'spans',
        select: traceSearchSelect,
      },
      // As migration 6: FINAL, so a span stored twice counts once; llmp migrates before it takes data in.
      {
        kind: 'insertSelect',
        table: 'trace_search',
        from: 'spans',
        final: true,
        select: traceSearchSelect,
      },
    ],
  },
  {
    version: 16,
    name: 'trace_summary no longer filled',
    steps: [
      // Nothing reads trace_summary since job metrics read trace_job_usage (migration 11); its
      // view cost every span insert a GROUP BY per trace, about what trace_search's (migration
      // 15) costs. The table stays with what it holds (retention and deletion still apply).
      { kind: 'dropView', view: 'trace_summary_mv' },
    ],
  },
  {
    version: 20,
    name: 'trace_search looked up by trace id',
    steps: [
      // Newest first, trace search reads back in windows and drops the traces of a window that
      // have a row before it (they start earlier). It looked that up in trace_id_ts: sorted by
      // trace id within each day, so the ~50 ids of a page touched most granules of every day,
      // a read of all trace extents per window (docs/benchmarks.md, "Trace search at 10 M
      // spans"). A bloom filter on trace_search's trace id (one row per trace and insert, in
      // granules of 1 024) reads the granules holding the page's traces. MATERIALIZE builds it
      // for the rows already there, as a background mutation: reads are right meanwhile, only slower.
      {
        kind: 'alterLocal',
        table: 'trace_search',
        action: 'ADD INDEX IF NOT EXISTS idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1',
      },
      { kind: 'alterLocal', table: 'trace_search', action: 'MATERIALIZE INDEX idx_trace_id' },
    ],
  },
  {
    version: 21,
    name: 'trace_search rows by their last span',
    steps: [
      // A search first asks whether a matching row crosses the end of its range (`last` at or
      // after it), which read `last` of every row in the range: rows are sorted by start only.
      // A row's last span follows its start closely, so a minmax of `last` per granule skips all
      // but the range's last granules (docs/benchmarks.md, "Trace search at 10 M spans").
      {
        kind: 'alterLocal',
        table: 'trace_search',
        action: 'ADD INDEX IF NOT EXISTS idx_last last TYPE minmax GRANULARITY 1',
      },
      { kind: 'alterLocal', table: 'trace_search', action: 'MATERIALIZE INDEX idx_last' },
    ],
  },
  {
    version: 22,
    name: 'trace_id_ts no longer filled',
    steps: [
      // Every INSERT wrote a part per view target, ~6–7 ms of engine CPU each plus its merges
      // (docs/benchmarks.md, "Engine cost per INSERT"). trace_id_ts (trace id → time range) and
      // trace_job_usage (migration 11, back-filled from all spans then) are both keyed by
      // (project_id, TraceId) and both hold a trace's first start; trace reads take the range
      // from trace_job_usage now (traceRange.ts), whose TTL is the longer of the spans and traces
      // retention. trace_id_ts stays with what it holds, read by nothing (retention and deletion
      // still apply), as trace_summary after migration 16.
      { kind: 'dropView', view: 'trace_id_ts_mv' },
      // As trace_id_ts's since migration 9: the first trace reads after a start find the marks loaded.
      { kind: 'alterLocal', table: 'trace_job_usage', action: 'MODIFY SETTING prewarm_mark_cache = 1' },
    ],
  },
  jobEventPublicationsMigration,
  mergeSelectorMigration,
  {
    version: 31,
    name: 'embedded views read spans_derive',
    only: 'embedded',
    // On the embedded engine every INSERT into spans wrote a part in each target of its views,
    // and merges rewrote those small parts: spans alone cost ~37 engine CPU-s per million spans,
    // with its views 60–79; the targets are additive, and filled from the same payloads once
    // per interval through a Null table the engine's whole cost was ×0.67–0.78
    // (docs/benchmarks.md, "The derived tables filled once per interval"). So the views move
    // onto spans_derive, which stores nothing, and the exporter INSERTs its payloads there
    // (spansDeriver.ts). A server keeps its views on spans: its INSERTs come from the ingester's
    // large batches and other writers. A later migration adding a column to spans adds it to
    // spans_derive too (embedded only).
    steps: [
      { kind: 'createNullTable', table: 'spans_derive', as: 'spans' },
      ...(
        [
          ['trace_jobs_mv', 'trace_jobs', traceJobsSelect],
          ['span_metrics_hourly_mv', 'span_metrics_hourly', (source: string) => rollupSelect(source)],
          ['trace_job_usage_mv', 'trace_job_usage', traceJobUsageSelect],
          ['trace_search_mv', 'trace_search', traceSearchSelect],
          ['genai_scores_spans_mv', 'genai_scores', scoresFromSpansSelect],
        ] as const
      ).flatMap(([view, to, select]): SchemaStep[] => [
        { kind: 'dropView', view },
        { kind: 'createView', view, to, from: 'spans_derive', select },
      ]),
    ],
  },
];
