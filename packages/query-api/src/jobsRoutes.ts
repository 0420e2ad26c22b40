import {
  type JobAction,
  type JobFailure,
  type JobRecord,
  type JobResult,
  type JobStore,
  jobId,
  jobSummary,
  jobValidationRun,
  listJobsQuery,
  schemaValidator,
  type ValidationScripts,
  validateJobBody,
  validationScripts,
  wrapDatasetId,
} from '@llmp/jobs';
import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { problem } from './problem.ts';
import { metricSteps, stepParam, timeParam, timeRange } from './searchQuery.ts';

export interface JobsRoutesOptions {
  jobs: JobStore;
  projectOf: (request: Request) => string;
  /** Who is asking, when known; recorded on job events. */
  actorOf?: (request: Request) => string | undefined;
  /** Runs validation scripts for `POST /v1/jobs/{id}/validate` (loaded on first use). */
  scripts?: ValidationScripts;
}

const pageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(512).optional(),
});

// Strict: a misspelt parameter is an error, not silently all-time totals.
const jobMetricsQuery = z.strictObject({
  by: z.enum(['version'], { error: 'the only split is "version"' }).optional(),
  step: stepParam.optional(),
  from: timeParam.optional(),
  to: timeParam.optional(),
});

const rollbackBody = z.strictObject({ version: z.int().positive() });

/** `{"jobId": {"value": ID}}` as the auto_eval client sends it, or plainly `{"jobId": ID}`. */
const getStatusBody = z.object({
  jobId: z.union([z.string().min(1), z.object({ value: z.string().min(1) })]),
});

const titles: Record<JobFailure['kind'], [400 | 404 | 409, string]> = {
  invalid: [400, 'Invalid request'],
  not_found: [404, 'Job not found'],
  conflict: [409, 'Conflict'],
};

function fromFailure(c: Context, failure: JobFailure): Response {
  const [status, title] = titles[failure.kind];
  return problem(c, status, title, failure.message);
}

function issues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? `${i.path.map(String).join('.')}: ` : ''}${i.message}`)
    .join('; ');
}

/** The version in If-Match: `"3"`, `W/"3"` or `3`; `*` and no header mean any version. */
function ifMatchOf(c: Context): { ok: true; version: number | undefined } | { ok: false } {
  const header = c.req.header('if-match')?.trim();
  if (header === undefined || header === '*') return { ok: true, version: undefined };
  const match = /^(?:W\/)?"?(\d{1,9})"?$/.exec(header);
  return match ? { ok: true, version: Number(match[1]) } : { ok: false };
}

async function jsonBody(
  c: Context,
): Promise<{ ok: true; body: unknown } | { ok: false; response: Response }> {
  try {
    return { ok: true, body: await c.req.json() };
  } catch {
    return { ok: false, response: problem(c, 400, 'Invalid request', 'the body must be JSON') };
  }
}

function withEtag(c: Context, job: JobRecord, status: 200 | 201 = 200): Response {
  c.header('etag', `"${job.version}"`);
  return c.json(job, status);
}

/**
 * The `/v1/jobs` routes and the auto_eval pseudo-label status route, over a job store.
 * @example app.route('/', jobsRoutes({ jobs: jobStore(store), projectOf: () => 'default' }));
 */
export function jobsRoutes({
  jobs,
  projectOf,
  actorOf = (request) => request.headers.get('x-llmp-actor') ?? undefined,
  scripts = validationScripts(),
}: JobsRoutesOptions): Hono {
  const app = new Hono();
  const schemas = schemaValidator();

  /** Validates the id in the path, then answers with the store's result. */
  const withJob =
    (
      handler: (c: Context, projectId: string, id: string) => Promise<Response>,
      noun = 'job',
    ): ((c: Context) => Promise<Response>) =>
    async (c) => {
      const id = c.req.param('id') ?? '';
      if (!jobId.safeParse(id).success)
        return problem(c, 400, `Invalid ${noun} id`, `"${id.slice(0, 200)}" is not a ${noun} id`);
      return handler(c, projectOf(c.req.raw), id);
    };

  const answer = <T>(c: Context, result: JobResult<T>, respond: (value: T) => Response) =>
    result.ok ? respond(result.value) : fromFailure(c, result.failure);

  const writeOptions = (c: Context) => {
    const ifMatch = ifMatchOf(c);
    return ifMatch.ok ? { ok: true as const, actor: actorOf(c.req.raw), ifMatch: ifMatch.version } : ifMatch;
  };
  const badIfMatch = (c: Context) =>
    problem(c, 400, 'Invalid If-Match', 'If-Match must name one job version, e.g. "3"');

  app.post('/v1/jobs', async (c) => {
    const body = await jsonBody(c);
    if (!body.ok) return body.response;
    const result = await jobs.create(projectOf(c.req.raw), body.body, { actor: actorOf(c.req.raw) });
    return answer(c, result, (job) => {
      c.header('location', `/v1/jobs/${encodeURIComponent(job.id)}`);
      return withEtag(c, job, 201);
    });
  });

  app.get('/v1/jobs', async (c) => {
    const query = listJobsQuery.safeParse(c.req.query());
    if (!query.success) return problem(c, 400, 'Invalid query', issues(query.error));
    return answer(c, await jobs.list(projectOf(c.req.raw), query.data), (page) => c.json(page));
  });

  app.get(
    '/v1/jobs/:id',
    withJob(async (c, projectId, id) => {
      const format = c.req.query('format');
      if (format !== undefined && format !== 'json' && format !== 'text')
        return problem(c, 400, 'Invalid query', 'format: "json" (the default) or "text"');
      const job = await jobs.get(projectId, id);
      if (!job) return problem(c, 404, 'Job not found', `no job ${id} in project ${projectId}`);
      if (format !== 'text') return withEtag(c, job);
      c.header('etag', `"${job.version}"`);
      return c.text(`${jobSummary(job)}\n`);
    }),
  );

  app.post(
    '/v1/jobs/:id/validate',
    withJob(async (c, projectId, id) => {
      const body = await jsonBody(c);
      if (!body.ok) return body.response;
      const parsed = validateJobBody.safeParse(body.body);
      if (!parsed.success) return problem(c, 400, 'Invalid request', issues(parsed.error));
      const { version } = parsed.data;
      const job =
        version === undefined ? await jobs.get(projectId, id) : await jobs.version(projectId, id, version);
      if (!job)
        return version !== undefined && (await jobs.get(projectId, id))
          ? problem(
              c,
              404,
              'Version not found',
              `job ${id} has no version ${version} in project ${projectId}`,
            )
          : problem(c, 404, 'Job not found', `no job ${id} in project ${projectId}`);
      return c.json(await jobValidationRun(job, parsed.data, { schemas, scripts }));
    }),
  );

  app.patch(
    '/v1/jobs/:id',
    withJob(async (c, projectId, id) => {
      const options = writeOptions(c);
      if (!options.ok) return badIfMatch(c);
      const body = await jsonBody(c);
      if (!body.ok) return body.response;
      return answer(c, await jobs.update(projectId, id, body.body, options), (job) => withEtag(c, job));
    }),
  );

  app.post(
    '/v1/jobs/:id/:action{pause|resume|complete|terminate}',
    withJob(async (c, projectId, id) => {
      const options = writeOptions(c);
      if (!options.ok) return badIfMatch(c);
      const action = c.req.param('action') as JobAction;
      return answer(c, await jobs.changeStatus(projectId, id, action, options), (job) => withEtag(c, job));
    }),
  );

  app.post(
    '/v1/jobs/:id/rollback',
    withJob(async (c, projectId, id) => {
      const options = writeOptions(c);
      if (!options.ok) return badIfMatch(c);
      const body = await jsonBody(c);
      if (!body.ok) return body.response;
      const parsed = rollbackBody.safeParse(body.body);
      if (!parsed.success) return problem(c, 400, 'Invalid request', issues(parsed.error));
      return answer(c, await jobs.rollback(projectId, id, parsed.data.version, options), (job) =>
        withEtag(c, job),
      );
    }),
  );

  const paged =
    (list: 'versions' | 'events' | 'traces' | 'logs' | 'scores') =>
    async (c: Context, projectId: string, id: string): Promise<Response> => {
      const query = pageQuery.safeParse(c.req.query());
      if (!query.success) return problem(c, 400, 'Invalid query', issues(query.error));
      const result: JobResult<unknown> = await jobs[list](projectId, id, query.data);
      return answer(c, result, (page) => c.json(page as object));
    };
  app.get('/v1/jobs/:id/versions', withJob(paged('versions')));
  app.get('/v1/jobs/:id/events', withJob(paged('events')));
  app.get('/v1/jobs/:id/traces', withJob(paged('traces')));
  app.get('/v1/jobs/:id/logs', withJob(paged('logs')));
  app.get('/v1/jobs/:id/scores', withJob(paged('scores')));

  app.get(
    '/v1/jobs/:id/metrics',
    withJob(async (c, projectId, id) => {
      const query = jobMetricsQuery.safeParse(c.req.query());
      if (!query.success) return problem(c, 400, 'Invalid query', issues(query.error));
      const { by, step, from, to } = query.data;
      // A step or a time names a range (by default the day before now); none: all runs.
      const stepSeconds = step && metricSteps[step];
      const range =
        step || from || to
          ? timeRange({ from, to }, BigInt(Date.now()) * 1_000_000n, stepSeconds)
          : undefined;
      if (range && !range.ok) return problem(c, 400, 'Invalid query', range.detail);
      const metrics = await jobs.metrics(projectId, id, {
        byVersion: by === 'version',
        ...(range ? { range: range.value } : {}),
        ...(step && stepSeconds ? { step: { name: step, seconds: stepSeconds } } : {}),
      });
      return metrics
        ? c.json(metrics)
        : problem(c, 404, 'Job not found', `no job ${id} in project ${projectId}`);
    }),
  );

  app.get(
    '/v1/jobs/:id/versions/:version',
    withJob(async (c, projectId, id) => {
      const text = c.req.param('version') ?? '';
      const number = /^\d{1,9}$/.test(text) ? Number(text) : 0;
      if (number < 1)
        return problem(c, 400, 'Invalid version', `"${text.slice(0, 50)}" is not a version number`);
      const version = await jobs.version(projectId, id, number);
      return version
        ? c.json(version)
        : problem(c, 404, 'Version not found', `job ${id} has no version ${number} in project ${projectId}`);
    }),
  );

  app.post('/v1/templates', async (c) => {
    const body = await jsonBody(c);
    if (!body.ok) return body.response;
    return answer(c, await jobs.templates.create(projectOf(c.req.raw), body.body), (template) => {
      c.header('location', `/v1/templates/${encodeURIComponent(template.id)}`);
      return c.json(template, 201);
    });
  });

  app.get('/v1/templates', async (c) => {
    const query = pageQuery.safeParse(c.req.query());
    if (!query.success) return problem(c, 400, 'Invalid query', issues(query.error));
    return answer(c, await jobs.templates.list(projectOf(c.req.raw), query.data), (page) => c.json(page));
  });

  app.get(
    '/v1/templates/:id',
    withJob(async (c, projectId, id) => {
      const template = await jobs.templates.get(projectId, id);
      return template
        ? c.json(template)
        : problem(c, 404, 'Template not found', `no template ${id} in project ${projectId}`);
    }, 'template'),
  );

  app.post('/api/2/auto_eval/pseudo_label_job/get_status', async (c) => {
    const body = await jsonBody(c);
    if (!body.ok) return body.response;
    const parsed = getStatusBody.safeParse(body.body);
    if (!parsed.success)
      return problem(c, 400, 'Invalid request', 'the body must be {"jobId": {"value": ID}} or {"jobId": ID}');
    const id = typeof parsed.data.jobId === 'string' ? parsed.data.jobId : parsed.data.jobId.value;
    const projectId = projectOf(c.req.raw);
    const job = jobId.safeParse(id).success ? await jobs.get(projectId, id) : undefined;
    if (!job) return problem(c, 404, 'Job not found', `no job ${id} in project ${projectId}`);
    if (job.job_type !== 'judge_labeling') {
      return problem(
        c,
        400,
        'Not a pseudo-labeling job',
        `job ${id} is a ${job.job_type} job; this route answers for judge_labeling jobs`,
      );
    }
    return c.json({
      status: job.status,
      // The seed's fields only: the llm_task record fields (prompt, models, script, version,
      // template) are llmp's, not the auto_eval API's; dataset ids are {"value": …} wrappers.
      pseudoLabelJobResult: {
        id: job.id,
        name: job.name,
        description: job.description,
        status: job.status,
        datasetId: wrapDatasetId(job.datasetId),
        fewShotDatasetId: wrapDatasetId(job.fewShotDatasetId),
        activeLabeledDatasetId: wrapDatasetId(job.activeLabeledDatasetId),
        selectedColumns: job.selectedColumns,
        chatCompletionConfig: job.chatCompletionConfig,
        promptTemplate: job.promptTemplate,
        baseEvaluationMetric: job.baseEvaluationMetric,
        skipActiveLabeling: job.skipActiveLabeling,
        creationEventId: job.creation_event_id,
        updateEventId: job.update_event_id,
        createdAt: job.created_at,
        updatedAt: job.updated_at,
      },
    });
  });

  return app;
}
