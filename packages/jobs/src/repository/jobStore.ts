import { randomUUID } from 'node:crypto';
import { type ClickHouseStore, classifyClickHouseError } from '@llmp/clickhouse';
import { definitionProblem } from '../service/definitionProblem.ts';
import type { JobModels } from '../service/jobModels.ts';
import {
  createJobBody,
  type JobDefinition,
  type JobEvent,
  type JobEventKind,
  type JobRecord,
  type JobStatus,
  jobDefinition,
  jobId,
  jobStatus,
  type ListJobsQuery,
  type Page,
} from '../service/jobSchema.ts';
import { type JobAction, jobTransition } from '../service/jobTransition.ts';
import { unwrapDatasetIds } from '../service/judgeLabelingIds.ts';
import { promptMismatch } from '../service/promptVariables.ts';
import { type ValidationScripts, validationScripts } from '../service/validationScript.ts';
import { zodMessage } from '../service/zodMessage.ts';
import { jobEventPage } from './jobEventPage.ts';
import { type JobLogEntry, jobLogs } from './jobLogs.ts';
import { type JobMetrics, type JobMetricsOptions, jobMetrics } from './jobMetrics.ts';
import {
  definitionOf,
  isoFromMillis,
  type JobVersion,
  jobColumns,
  jobRecordOf,
  jobRow,
  jobVersionOf,
  type StoredJobRow,
} from './jobRows.ts';
import { type JobEvaluation, type JobScore, jobEvaluations, jobScores } from './jobScores.ts';
import { type JobTrace, jobTracePage } from './jobTracePage.ts';
import { listJobs } from './listJobs.ts';
import { pageCursor } from './pageCursor.ts';
import { pageOf } from './pageOf.ts';
import type { JobFailure, JobResult, PageRequest, SpanJobRef, WriteOptions } from './storeResult.ts';
import { type TemplateStore, templateStore } from './templateStore.ts';
import { type TraceJobLink, traceJobLinks } from './traceJobLinks.ts';

export type { JobFailure, JobResult, PageRequest, SpanJobRef, WriteOptions } from './storeResult.ts';

const ok = <T>(value: T): JobResult<T> => ({ ok: true, value });
const fail = (kind: JobFailure['kind'], message: string): JobResult<never> => ({
  ok: false,
  failure: { kind, message },
});

export interface JobStore {
  /** Reusable definitions that jobs are created from (`template_id` in a create body). */
  templates: TemplateStore;
  create(
    projectId: string,
    body: unknown,
    options?: WriteOptions & { discovered?: boolean; templateId?: string },
  ): Promise<JobResult<JobRecord>>;
  get(projectId: string, id: string): Promise<JobRecord | undefined>;
  list(projectId: string, query: ListJobsQuery): Promise<JobResult<Page<JobRecord>>>;
  update(
    projectId: string,
    id: string,
    patch: unknown,
    options?: WriteOptions,
  ): Promise<JobResult<JobRecord>>;
  rollback(
    projectId: string,
    id: string,
    toVersion: number,
    options?: WriteOptions,
  ): Promise<JobResult<JobRecord>>;
  changeStatus(
    projectId: string,
    id: string,
    action: JobAction,
    options?: WriteOptions,
  ): Promise<JobResult<JobRecord>>;
  versions(projectId: string, id: string, page: PageRequest): Promise<JobResult<Page<JobVersion>>>;
  version(projectId: string, id: string, version: number): Promise<JobVersion | undefined>;
  events(projectId: string, id: string, page: PageRequest): Promise<JobResult<Page<JobEvent>>>;
  traces(projectId: string, id: string, page: PageRequest): Promise<JobResult<Page<JobTrace>>>;
  /** The input and output models of a version (the latest without one); undefined when unknown. */
  models(projectId: string, id: string, version?: number): Promise<JobModels | undefined>;
  /**
   * Run metrics over the job's linked traces, with what its evaluation results add up to per
   * evaluation name; undefined for an unknown job.
   */
  metrics(
    projectId: string,
    id: string,
    options?: Omit<JobMetricsOptions, 'fromSpans'>,
  ): Promise<(JobMetrics & { evaluations: JobEvaluation[] }) | undefined>;
  /** The job's evaluation results (gen_ai.evaluation.result), newest first. */
  scores(projectId: string, id: string, page: PageRequest): Promise<JobResult<Page<JobScore>>>;
  /** Job events, span events and exceptions of its traces, newest first. */
  logs(projectId: string, id: string, page: PageRequest): Promise<JobResult<Page<JobLogEntry>>>;
  /** The jobs a trace is linked to (through any of its spans), first linked first. */
  traceLinks(projectId: string, traceId: string): Promise<TraceJobLink[]>;
  /** Status of each named job; unknown (well-formed) ids are registered as discovered jobs. */
  discover(projectId: string, refs: SpanJobRef[]): Promise<Map<string, JobStatus>>;
}

interface LatestEvent {
  seq: number;
  event_id: string;
  status: JobStatus;
  version: number;
  time_ms: number;
}

interface EventDraft {
  kind: JobEventKind;
  status: JobStatus;
  version: number;
  changes: Record<string, unknown>;
}

// A status change that keeps losing the race for the next event number gives up with a 409.
const maxEventAttempts = 8;

function changedFields(before: JobDefinition, after: JobDefinition): Record<string, unknown> {
  const a = before as unknown as Record<string, unknown>;
  const b = after as unknown as Record<string, unknown>;
  const changes: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (JSON.stringify(a[key]) !== JSON.stringify(b[key]))
      changes[key] = { from: a[key] ?? null, to: b[key] ?? null };
  }
  return changes;
}

/**
 * Jobs over ClickHouse: `jobs` holds one row per version, `job_events` the numbered history.
 * Concurrent writers never both win: version n+1 and event n+1 are each inserted with an
 * insert_deduplication_token naming them, so ClickHouse keeps only the first insert (across
 * processes, on tables with non_replicated_deduplication_window); each writer reads the row back
 * and only the one whose event id is there has won — the other gets a conflict.
 * @example const jobs = jobStore(store); await jobs.create('default', { name: 'summarise' });
 */
export function jobStore(
  store: ClickHouseStore,
  {
    now = Date.now,
    newId = randomUUID,
    onEvent,
    scripts = validationScripts(),
  }: {
    now?: () => number;
    newId?: () => string;
    /**
     * Told of every event once it is stored (e.g. to publish it on Kafka). Not awaited: the
     * store's job_events table is the record, and a slow listener must not hold up the API.
     */
    onEvent?: (projectId: string, event: JobEvent) => void;
    /** Loads validation scripts at create and update (a script that does not load is a 400). */
    scripts?: ValidationScripts;
  } = {},
): JobStore {
  const { client } = store;
  const db = `\`${store.database}\``;
  const templates = templateStore(store, { now, newId, scripts });

  async function rows<T>(query: string, params: Record<string, unknown>): Promise<T[]> {
    try {
      const result = await client.query({ query, query_params: params, format: 'JSONEachRow' });
      return await result.json<T>();
    } catch (error) {
      throw classifyClickHouseError(error, 'job query');
    }
  }

  async function insert(table: string, row: object, token: string): Promise<void> {
    try {
      await client.insert({
        table: `${store.database}.${table}`,
        values: [row],
        format: 'JSONEachRow',
        clickhouse_settings: { insert_deduplication_token: token },
      });
    } catch (error) {
      throw classifyClickHouseError(error, `insert into ${table}`);
    }
  }

  async function latestVersion(projectId: string, id: string): Promise<JobVersion | undefined> {
    const found = await rows<StoredJobRow>(
      `SELECT ${jobColumns} FROM ${db}.jobs
       WHERE project_id = {projectId:String} AND id = {id:String}
       ORDER BY version DESC LIMIT 1`,
      { projectId, id },
    );
    return found[0] ? jobVersionOf(found[0]) : undefined;
  }

  async function latestEvent(projectId: string, id: string): Promise<LatestEvent | undefined> {
    const found = await rows<{
      seq: string;
      event_id: string;
      status: string;
      version: number;
      time_ms: string;
    }>(
      `SELECT seq, event_id, status, version, toUnixTimestamp64Milli(time) AS time_ms FROM ${db}.job_events
       WHERE project_id = {projectId:String} AND job_id = {id:String}
       ORDER BY seq DESC, event_id LIMIT 1`,
      { projectId, id },
    );
    const e = found[0];
    if (!e) return undefined;
    return {
      seq: Number(e.seq),
      event_id: e.event_id,
      status: jobStatus.safeParse(e.status).data ?? 'active',
      version: Number(e.version),
      time_ms: Number(e.time_ms),
    };
  }

  async function get(projectId: string, id: string): Promise<JobRecord | undefined> {
    const [version, event] = await Promise.all([latestVersion(projectId, id), latestEvent(projectId, id)]);
    return version ? jobRecordOf(version, event) : undefined;
  }

  /** Inserts version `row.version` unless another writer already has; true when this one won. */
  async function claimVersion(projectId: string, row: ReturnType<typeof jobRow>): Promise<boolean> {
    await insert('jobs', row, JSON.stringify(['jobs', projectId, row.id, row.version]));
    const back = await rows<{ update_event_id: string }>(
      `SELECT update_event_id FROM ${db}.jobs
       WHERE project_id = {projectId:String} AND id = {id:String} AND version = {version:UInt32}
       ORDER BY update_event_id LIMIT 1`,
      { projectId, id: row.id, version: row.version },
    );
    return back[0]?.update_event_id === row.update_event_id;
  }

  /**
   * Appends the next event of a job. `draft` sees the latest event and decides (it may refuse:
   * a status change re-checks its transition each time it loses the race for a number).
   */
  async function appendEvent(
    projectId: string,
    id: string,
    eventId: string,
    actor: string | undefined,
    draft: (latest: LatestEvent | undefined) => EventDraft | JobFailure,
  ): Promise<JobResult<LatestEvent>> {
    for (let attempt = 0; attempt < maxEventAttempts; attempt++) {
      const latest = await latestEvent(projectId, id);
      const next = draft(latest);
      if ('message' in next) return { ok: false, failure: next };
      const seq = (latest?.seq ?? 0) + 1;
      const time = now();
      await insert(
        'job_events',
        {
          project_id: projectId,
          job_id: id,
          seq,
          event_id: eventId,
          kind: next.kind,
          actor: actor ?? '',
          time: new Date(time).toISOString().replace('T', ' ').replace('Z', ''),
          version: next.version,
          status: next.status,
          changes: JSON.stringify(next.changes),
        },
        JSON.stringify(['job_events', projectId, id, seq]),
      );
      const back = await rows<{ event_id: string }>(
        `SELECT event_id FROM ${db}.job_events
         WHERE project_id = {projectId:String} AND job_id = {id:String} AND seq = {seq:UInt64}
         ORDER BY event_id LIMIT 1`,
        { projectId, id, seq },
      );
      if (back[0]?.event_id === eventId) {
        onEvent?.(projectId, {
          id: eventId,
          job_id: id,
          seq,
          kind: next.kind,
          actor: actor ?? null,
          time: isoFromMillis(time),
          version: next.version,
          status: next.status,
          changes: next.changes as JobEvent['changes'],
        });
        return ok({ seq, event_id: eventId, status: next.status, version: next.version, time_ms: time });
      }
    }
    return fail('conflict', `job ${id} is being changed by others; read it again and retry`);
  }

  async function writeVersion(
    projectId: string,
    current: JobRecord,
    definition: JobDefinition,
    kind: 'updated' | 'rolled_back',
    extra: Record<string, unknown>,
    options: WriteOptions,
    /** Record fields that change with this version (adopting a discovered job). */
    meta: { discovered?: boolean; template_id?: string | null } = {},
  ): Promise<JobResult<JobRecord>> {
    const eventId = newId();
    const time = now();
    const version = current.version + 1;
    const won = await claimVersion(
      projectId,
      jobRow(projectId, definition, {
        id: current.id,
        version,
        template_id: meta.template_id !== undefined ? meta.template_id : current.template_id,
        discovered: meta.discovered ?? current.discovered,
        creation_event_id: current.creation_event_id,
        update_event_id: eventId,
        created_ms: Date.parse(current.created_at),
        updated_ms: time,
      }),
    );
    if (!won) {
      return fail(
        'conflict',
        `job ${current.id} was changed concurrently: version ${version} was written by another update; read it again and retry`,
      );
    }
    const changes = {
      ...extra,
      ...changedFields(definitionOf(current), definition),
    };
    const appended = await appendEvent(projectId, current.id, eventId, options.actor, (latest) => ({
      kind,
      status: latest?.status ?? current.status,
      version,
      changes,
    }));
    if (!appended.ok) return appended;
    const job = await get(projectId, current.id);
    return job ? ok(job) : fail('not_found', `job ${current.id} not found`);
  }

  /** The current job, or the failure that stops a write to it. */
  async function writable(
    projectId: string,
    id: string,
    options: WriteOptions,
  ): Promise<JobResult<JobRecord>> {
    const current = await get(projectId, id);
    if (!current) return fail('not_found', `no job ${id} in project ${projectId}`);
    if (options.ifMatch !== undefined && options.ifMatch !== current.version) {
      return fail(
        'conflict',
        `job ${id} is at version ${current.version}, not ${options.ifMatch} (If-Match); read it again and retry`,
      );
    }
    return ok(current);
  }

  function finalFailure(job: JobRecord): JobResult<never> | undefined {
    return job.status === 'completed' || job.status === 'terminated'
      ? fail(
          'conflict',
          `job ${job.id} is ${job.status}, which is final: its definition can no longer change`,
        )
      : undefined;
  }

  /** The create body with a template's definition under it, when it names one. */
  async function fromTemplate(
    projectId: string,
    body: unknown,
  ): Promise<JobResult<{ body: unknown; templateId: string | undefined }>> {
    if (body === null || typeof body !== 'object' || Array.isArray(body) || !('template_id' in body))
      return ok({ body, templateId: undefined });
    const { template_id: templateId, ...overrides } = body as Record<string, unknown>;
    if (typeof templateId !== 'string' || templateId === '')
      return fail('invalid', 'template_id: must be the id of a template');
    const template = await templates.get(projectId, templateId);
    if (!template) return fail('invalid', `template_id: no template ${templateId} in project ${projectId}`);
    const { id: _id, created_at: _at, ...definition } = template;
    return ok({ body: { ...definition, ...overrides }, templateId });
  }

  const api: JobStore = {
    templates,
    get,

    async create(projectId, body, options = {}) {
      const templated = await fromTemplate(projectId, unwrapDatasetIds(body));
      if (!templated.ok) return templated;
      const parsed = createJobBody.safeParse(templated.value.body);
      if (!parsed.success) return fail('invalid', zodMessage(parsed.error));
      const { id: requested, ...definition } = parsed.data;
      const templateId = templated.value.templateId ?? options.templateId;
      if (templateId !== undefined) {
        // A template's prompt variables are its contract with the inputs: keep them checked.
        const mismatch = promptMismatch(definition.prompt, definition.input_model);
        if (mismatch) return fail('invalid', mismatch);
      }
      const problem = await definitionProblem(definition, scripts);
      if (problem) return fail('invalid', problem);
      const id = requested ?? `job_${newId()}`;
      const existing = await latestVersion(projectId, id);
      if (existing) {
        // A job first named by spans has no definition yet: the first create fills it (one new
        // version, no longer discovered) instead of refusing the user's own job id.
        const current =
          !options.discovered && existing.discovered && existing.version === 1 && (await get(projectId, id));
        if (!current || current.status === 'completed' || current.status === 'terminated')
          return fail('conflict', `job ${id} already exists`);
        return writeVersion(projectId, current, definition, 'updated', { adopted: true }, options, {
          discovered: false,
          template_id: templateId ?? null,
        });
      }
      const eventId = newId();
      const time = now();
      const won = await claimVersion(
        projectId,
        jobRow(projectId, definition, {
          id,
          version: 1,
          template_id: templateId ?? null,
          discovered: options.discovered ?? false,
          creation_event_id: eventId,
          update_event_id: eventId,
          created_ms: time,
          updated_ms: time,
        }),
      );
      if (!won) return fail('conflict', `job ${id} already exists`);
      const appended = await appendEvent(projectId, id, eventId, options.actor, (latest) => ({
        kind: options.discovered ? 'discovered' : 'created',
        status: latest?.status ?? 'active',
        version: 1,
        changes: definition as unknown as Record<string, unknown>,
      }));
      if (!appended.ok) return appended;
      const job = await get(projectId, id);
      return job ? ok(job) : fail('not_found', `job ${id} not found`);
    },

    async list(projectId, query) {
      let after: [number, string] | undefined;
      if (query.cursor !== undefined) {
        const key = pageCursor.decode(query.cursor, ['number', 'string']);
        if (!key) return fail('invalid', 'cursor is not one this API gave out');
        after = [key[0] as number, key[1] as string];
      }
      return ok(await listJobs(store, projectId, query, after));
    },

    async update(projectId, id, patch, options = {}) {
      if (patch === null || typeof patch !== 'object' || Array.isArray(patch))
        return fail('invalid', 'the body must be a JSON object of definition fields');
      const fields = patch as Record<string, unknown>;
      for (const key of ['id', 'version', 'status', 'template_id', 'discovered']) {
        if (key in fields) return fail('invalid', `${key} cannot be changed by PATCH`);
      }
      const current = await writable(projectId, id, options);
      if (!current.ok) return current;
      const final = finalFailure(current.value);
      if (final) return final;
      if ('job_type' in fields && fields.job_type !== current.value.job_type)
        return fail('invalid', `job_type cannot change (this job is ${current.value.job_type})`);
      const merged = jobDefinition.safeParse({
        ...definitionOf(current.value),
        ...(unwrapDatasetIds(fields) as Record<string, unknown>),
      });
      if (!merged.success) return fail('invalid', zodMessage(merged.error));
      // A PATCH that changes nothing is not a new version (clients may resend what they read).
      if (Object.keys(changedFields(definitionOf(current.value), merged.data)).length === 0) return current;
      const problem = await definitionProblem(merged.data, scripts);
      if (problem) return fail('invalid', problem);
      return writeVersion(projectId, current.value, merged.data, 'updated', {}, options);
    },

    async rollback(projectId, id, toVersion, options = {}) {
      const current = await writable(projectId, id, options);
      if (!current.ok) return current;
      const final = finalFailure(current.value);
      if (final) return final;
      const target = await api.version(projectId, id, toVersion);
      if (!target) return fail('not_found', `job ${id} has no version ${toVersion}`);
      return writeVersion(
        projectId,
        current.value,
        definitionOf(target),
        'rolled_back',
        { rolled_back_to: toVersion },
        options,
      );
    },

    async changeStatus(projectId, id, action, options = {}) {
      const current = await writable(projectId, id, options);
      if (!current.ok) return current;
      const appended = await appendEvent(projectId, id, newId(), options.actor, (latest) => {
        const from = latest?.status ?? current.value.status;
        const transition = jobTransition(from, action);
        if (!transition.ok) return { kind: 'conflict', message: `job ${id}: ${transition.reason}` };
        return {
          kind: transition.kind,
          status: transition.to,
          version: latest?.version ?? current.value.version,
          changes: { status: { from, to: transition.to } },
        };
      });
      if (!appended.ok) return appended;
      const job = await get(projectId, id);
      return job ? ok(job) : fail('not_found', `job ${id} not found`);
    },

    async versions(projectId, id, { limit, cursor }) {
      let before = 0;
      if (cursor !== undefined) {
        const key = pageCursor.decode(cursor, ['number']);
        if (!key) return fail('invalid', 'cursor is not one this API gave out');
        before = key[0] as number;
      }
      const found = await rows<StoredJobRow>(
        `SELECT ${jobColumns} FROM ${db}.jobs
         WHERE project_id = {projectId:String} AND id = {id:String}
           AND ({before:UInt32} = 0 OR version < {before:UInt32})
         ORDER BY version DESC LIMIT 1 BY version LIMIT {limit:UInt32}`,
        { projectId, id, before, limit: limit + 1 },
      );
      if (found.length === 0 && before === 0 && !(await latestVersion(projectId, id)))
        return fail('not_found', `no job ${id} in project ${projectId}`);
      return ok(pageOf(found.map(jobVersionOf), limit, (v) => [v.version]));
    },

    async version(projectId, id, version) {
      const found = await rows<StoredJobRow>(
        `SELECT ${jobColumns} FROM ${db}.jobs
         WHERE project_id = {projectId:String} AND id = {id:String} AND version = {version:UInt32}
         ORDER BY update_event_id LIMIT 1`,
        { projectId, id, version },
      );
      return found[0] ? jobVersionOf(found[0]) : undefined;
    },

    async events(projectId, id, { limit, cursor }) {
      let afterSeq = 0;
      if (cursor !== undefined) {
        const key = pageCursor.decode(cursor, ['number']);
        if (!key) return fail('invalid', 'cursor is not one this API gave out');
        afterSeq = key[0] as number;
      }
      if (!(await latestVersion(projectId, id)))
        return fail('not_found', `no job ${id} in project ${projectId}`);
      return ok(await jobEventPage(store, projectId, id, { limit, afterSeq }));
    },

    async traces(projectId, id, { limit, cursor }) {
      let after: [string, string] | undefined;
      if (cursor !== undefined) {
        const key = pageCursor.decode(cursor, ['string', 'string']);
        if (!key || !/^\d+$/.test(String(key[0])))
          return fail('invalid', 'cursor is not one this API gave out');
        after = [String(key[0]), String(key[1])];
      }
      if (!(await latestVersion(projectId, id)))
        return fail('not_found', `no job ${id} in project ${projectId}`);
      return ok(await jobTracePage(store, projectId, id, { limit, after }));
    },

    async models(projectId, id, version) {
      const found =
        version === undefined
          ? await latestVersion(projectId, id)
          : await api.version(projectId, id, version);
      return found
        ? {
            input_model: found.input_model,
            output_model: found.output_model,
            validation_script: found.validation_script,
          }
        : undefined;
    },

    async metrics(projectId, id, options = {}) {
      if (!(await latestVersion(projectId, id))) return undefined;
      const [metrics, evaluations] = await Promise.all([
        jobMetrics(store, projectId, id, options),
        jobEvaluations(store, projectId, id),
      ]);
      return { ...metrics, evaluations };
    },

    async scores(projectId, id, page) {
      if (!(await latestVersion(projectId, id)))
        return fail('not_found', `no job ${id} in project ${projectId}`);
      return jobScores(store, projectId, id, page);
    },

    async logs(projectId, id, page) {
      if (!(await latestVersion(projectId, id)))
        return fail('not_found', `no job ${id} in project ${projectId}`);
      return jobLogs(store, projectId, id, page);
    },

    traceLinks: (projectId, traceId) => traceJobLinks(store, projectId, traceId),

    async discover(projectId, refs) {
      const wanted = new Map<string, string>();
      for (const ref of refs)
        if (jobId.safeParse(ref.id).success && !wanted.has(ref.id)) wanted.set(ref.id, ref.type);
      const statuses = new Map<string, JobStatus>();
      if (wanted.size === 0) return statuses;
      const ids = [...wanted.keys()];
      const known = await rows<{ id: string; status: string }>(
        `SELECT j.id AS id, if(e.status = '', 'active', e.status) AS status
         FROM (SELECT DISTINCT id FROM ${db}.jobs WHERE project_id = {projectId:String} AND id IN {ids:Array(String)}) AS j
         LEFT JOIN (
           SELECT job_id, argMax(status, seq) AS status FROM ${db}.job_events
           WHERE project_id = {projectId:String} AND job_id IN {ids:Array(String)} GROUP BY job_id
         ) AS e ON e.job_id = j.id`,
        { projectId, ids },
      );
      for (const k of known) statuses.set(k.id, jobStatus.safeParse(k.status).data ?? 'active');
      for (const [id, type] of wanted) {
        if (statuses.has(id)) continue;
        const created = await api.create(
          projectId,
          // A span cannot carry a training or judge-labeling definition: register an llm_task and
          // keep the type the span declared.
          { id, name: id, metadata: type ? { declared_job_type: type } : {} },
          { discovered: true, actor: 'ingest' },
        );
        // Lost to another ingester registering the same id: it exists now either way.
        statuses.set(
          id,
          created.ok ? created.value.status : ((await get(projectId, id))?.status ?? 'active'),
        );
      }
      return statuses;
    },
  };
  return api;
}
