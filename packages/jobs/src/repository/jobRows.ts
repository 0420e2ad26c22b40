import { isoFromNanos } from '@llmp/clickhouse';
import {
  type JobDefinition,
  type JobRecord,
  type JobStatus,
  type JobType,
  jobType,
  specFieldNames,
} from '../service/jobSchema.ts';

/** A `jobs` row as written (JSONEachRow) and read back (with times as epoch milliseconds). */
export interface JobRow {
  project_id: string;
  id: string;
  version: number;
  job_type: string;
  name: string;
  description: string;
  prompt: string;
  input_model: string;
  output_model: string;
  validation_script: string;
  test_input: string;
  metadata: string;
  spec: string;
  template_id: string;
  discovered: boolean;
  creation_event_id: string;
  update_event_id: string;
  created_at: string;
  updated_at: string;
}

/** What a version is besides its definition. */
export interface JobVersionMeta {
  id: string;
  version: number;
  template_id: string | null;
  discovered: boolean;
  creation_event_id: string;
  update_event_id: string;
  created_at: string;
  updated_at: string;
}

export type JobVersion = JobDefinition & JobVersionMeta;

/**
 * RFC 3339 UTC text with nine fraction digits for epoch milliseconds: every time the API answers
 * (jobs, events, logs, traces, spans) has this one precision, whatever the column stores.
 * @example isoFromMillis(1700000000123) // '2023-11-14T22:13:20.123000000Z'
 */
export function isoFromMillis(ms: number): string {
  return isoFromNanos(BigInt(ms) * 1_000_000n);
}

/**
 * ClickHouse DateTime64(3) text for epoch milliseconds (the engine guesses at bare digits).
 * @example clickhouseMillis(0) // '1970-01-01 00:00:00.000'
 */
export function clickhouseMillis(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

function parseJson(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    // Rows are written by this module as JSON; text that is not is shown as it is.
    return text;
  }
}

/**
 * The row of one job version; type-specific fields go to `spec` as one JSON object.
 * @example jobRow('default', 'summarise', 1, definition, meta)
 */
export function jobRow(
  projectId: string,
  definition: JobDefinition,
  meta: Omit<JobVersionMeta, 'created_at' | 'updated_at'> & { created_ms: number; updated_ms: number },
): JobRow {
  const fields = definition as unknown as Record<string, unknown>;
  const spec = Object.fromEntries(specFieldNames[definition.job_type].map((k) => [k, fields[k] ?? null]));
  return {
    project_id: projectId,
    id: meta.id,
    version: meta.version,
    job_type: definition.job_type,
    name: definition.name,
    description: definition.description,
    prompt: definition.prompt,
    input_model: JSON.stringify(definition.input_model),
    output_model: JSON.stringify(definition.output_model),
    validation_script: definition.validation_script,
    test_input: JSON.stringify(definition.test_input),
    metadata: JSON.stringify(definition.metadata),
    spec: JSON.stringify(spec),
    template_id: meta.template_id ?? '',
    discovered: meta.discovered,
    creation_event_id: meta.creation_event_id,
    update_event_id: meta.update_event_id,
    created_at: clickhouseMillis(meta.created_ms),
    updated_at: clickhouseMillis(meta.updated_ms),
  };
}

/** The columns to select so that `jobVersionOf` can read a row. */
export const jobColumns = `id, version, job_type, name, description, prompt, input_model, output_model,
  validation_script, test_input, metadata, spec, template_id, discovered, creation_event_id, update_event_id,
  toUnixTimestamp64Milli(created_at) AS created_ms, toUnixTimestamp64Milli(updated_at) AS updated_ms`;

/**
 * A `jobs` row as `jobColumns` reads it back: the written columns but the project, with the
 * engine's JSON forms of numbers and booleans and the times as epoch milliseconds.
 */
export type StoredJobRow = Omit<
  JobRow,
  'project_id' | 'version' | 'discovered' | 'created_at' | 'updated_at'
> & {
  version: number | string;
  discovered: boolean | number;
  created_ms: string;
  updated_ms: string;
};

/**
 * A stored version as the API shows it.
 * @example jobVersionOf(row).output_model
 */
export function jobVersionOf(row: StoredJobRow): JobVersion {
  const type: JobType = jobType.safeParse(row.job_type).data ?? 'llm_task';
  const spec = parseJson(row.spec);
  return {
    job_type: type,
    name: row.name,
    description: row.description,
    prompt: row.prompt,
    input_model: parseJson(row.input_model) as JobDefinition['input_model'],
    output_model: parseJson(row.output_model) as JobDefinition['output_model'],
    validation_script: row.validation_script,
    test_input: parseJson(row.test_input) as JobDefinition['test_input'],
    metadata: (parseJson(row.metadata) ?? {}) as JobDefinition['metadata'],
    ...(spec !== null && typeof spec === 'object' ? spec : {}),
    id: row.id,
    version: Number(row.version),
    template_id: row.template_id === '' ? null : row.template_id,
    discovered: Boolean(row.discovered),
    creation_event_id: row.creation_event_id,
    update_event_id: row.update_event_id,
    created_at: isoFromMillis(Number(row.created_ms)),
    updated_at: isoFromMillis(Number(row.updated_ms)),
  } as JobVersion;
}

/**
 * The definition part of a version or record (what PATCH merges onto and rollback copies).
 * @example definitionOf(version).prompt
 */
export function definitionOf(version: JobVersion | (JobVersion & { status: string })): JobDefinition {
  const {
    status: _s,
    id: _id,
    version: _v,
    template_id: _t,
    discovered: _d,
    creation_event_id: _c,
    update_event_id: _u,
    created_at: _ca,
    updated_at: _ua,
    ...definition
  } = version as JobVersion & { status?: string };
  return definition as JobDefinition;
}

/** What the latest event of a job says about it. */
export interface JobState {
  status: JobStatus;
  event_id: string;
  time_ms: number;
}

/**
 * A job as the API shows it: its latest version, with the status and last event of its latest
 * event (a job without events yet is active).
 * @example jobRecordOf(latestVersion, latestEvent).status
 */
export function jobRecordOf(version: JobVersion, state: JobState | undefined): JobRecord {
  const updated = Math.max(Date.parse(version.updated_at), state?.time_ms ?? 0);
  return {
    ...version,
    status: state?.status ?? 'active',
    update_event_id: state?.event_id ?? version.update_event_id,
    updated_at: isoFromMillis(updated),
  } as JobRecord;
}
