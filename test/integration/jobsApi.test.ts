import { type ClickHouseStore, migrate, storeTraceSource } from '@llmp/clickhouse';
import { jobStore } from '@llmp/jobs';
import { queryApp } from '@llmp/query-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonShape, seed002PseudoLabelStatus } from '../fixtures/seed002PseudoLabelStatus.ts';
import { jobsApi } from '../support/jobsApi.ts';
import { tempDir } from '../support/tempDir.ts';
import { openTestStore } from '../support/testStore.ts';

// The job routes in-process (app.request) over the embedded ClickHouse engine: every SQL path is real.
const dir = tempDir('jobs-api');
let store: ClickHouseStore;
let api: ReturnType<typeof jobsApi>;

beforeAll(async () => {
  store = await openTestStore(dir.path);
  await migrate(store);
  api = jobsApi(queryApp({ source: storeTraceSource(store), jobs: jobStore(store) }));
});
afterAll(async () => {
  await store?.close();
  dir.remove();
});

const judgeLabelingJob = {
  job_type: 'judge_labeling',
  name: 'label support answers',
  description: 'pseudo-label the support set with a judge',
  datasetId: 'ds-support-42',
  fewShotDatasetId: 'ds-fewshot-7',
  activeLabeledDatasetId: 'ds-active-3',
  selectedColumns: ['input', 'output', 'ground_truth'],
  chatCompletionConfig: {
    vendor: 'openai',
    model: 'gpt-4o-mini',
    messages: [
      { role: 'system', content: 'You are a strict grader.' },
      { role: 'user', content: 'Grade: {{output}}' },
    ],
    maxTokens: 256,
    temperature: 0.1,
    topP: 0.9,
  },
  promptTemplate: { id: 'tpl-grader-1', template: 'Grade: {{output}}' },
  baseEvaluationMetric: 'correctness',
  skipActiveLabeling: true,
};

describe('POST /v1/jobs', () => {
  it('creates an llm_task job at version 1, active, with every default and a created event', async () => {
    const created = await api.post(
      '/v1/jobs',
      { id: 'summarise-tickets', name: 'Summarise tickets', prompt: 'Summarise {{ticket}}' },
      { 'x-llmp-actor': 'ana@example.com' },
    );
    expect(created.status).toBe(201);
    expect(created.headers.get('etag')).toBe('"1"');
    expect(created.headers.get('location')).toBe('/v1/jobs/summarise-tickets');
    expect(created.body).toMatchObject({
      id: 'summarise-tickets',
      job_type: 'llm_task',
      status: 'active',
      version: 1,
      name: 'Summarise tickets',
      description: '',
      prompt: 'Summarise {{ticket}}',
      input_model: null,
      output_model: null,
      validation_script: '',
      test_input: null,
      metadata: {},
      template_id: null,
      discovered: false,
    });
    expect(created.body.creation_event_id).toBe(created.body.update_event_id);
    expect(Date.parse(created.body.created_at)).toBeGreaterThan(Date.now() - 60_000);

    const events = await api.get('/v1/jobs/summarise-tickets/events');
    expect(events.status).toBe(200);
    expect(events.body.items).toHaveLength(1);
    expect(events.body.items[0]).toMatchObject({
      id: created.body.creation_event_id,
      kind: 'created',
      actor: 'ana@example.com',
      seq: 1,
      version: 1,
      status: 'active',
    });
    expect(events.body.items[0].changes).toMatchObject({ name: 'Summarise tickets' });
    // One timestamp precision on every route: RFC 3339 UTC with nine fraction digits, as spans.
    const nanosIso = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/;
    expect(created.body.created_at).toMatch(nanosIso);
    expect(created.body.updated_at).toMatch(nanosIso);
    expect(events.body.items[0].time).toMatch(nanosIso);

    const again = await api.post('/v1/jobs', { id: 'summarise-tickets', name: 'other' });
    expect(again.status).toBe(409);
    expect(again.headers.get('content-type')).toBe('application/problem+json');
    expect(again.body.detail).toBe('job summarise-tickets already exists');
  });

  it('adopts a job that spans discovered: the create fills its definition, a second create is 409', async () => {
    // What the linker does when spans name an unknown job.
    await jobStore(store).discover('default', [{ id: 'found-by-spans', type: 'llm_task' }]);
    const found = await api.get('/v1/jobs/found-by-spans');
    expect(found.body).toMatchObject({ discovered: true, version: 1 });

    const adopted = await api.post('/v1/jobs', {
      id: 'found-by-spans',
      name: 'Found by spans',
      prompt: 'Answer {{question}}',
    });
    expect(adopted.status).toBe(201);
    expect(adopted.body).toMatchObject({
      id: 'found-by-spans',
      discovered: false,
      name: 'Found by spans',
      prompt: 'Answer {{question}}',
      version: 2,
      status: 'active',
    });
    expect(adopted.body.creation_event_id).toBe(found.body.creation_event_id);
    const events = (await api.get('/v1/jobs/found-by-spans/events')).body.items as Array<{
      kind: string;
      changes: Record<string, unknown>;
    }>;
    expect(events.map((e) => e.kind)).toEqual(['discovered', 'updated']);
    expect(events[1]!.changes).toMatchObject({
      adopted: true,
      name: { from: 'found-by-spans', to: 'Found by spans' },
    });

    const again = await api.post('/v1/jobs', { id: 'found-by-spans', name: 'twice' });
    expect(again.status).toBe(409);
    expect(again.body.detail).toBe('job found-by-spans already exists');
  });

  it('generates an id when none is given', async () => {
    const created = await api.post('/v1/jobs', { name: 'anonymous' });
    expect(created.status).toBe(201);
    expect(created.body.id).toMatch(/^job_[0-9a-f-]{36}$/);
    expect((await api.get(`/v1/jobs/${created.body.id}`)).body.name).toBe('anonymous');
  });

  it('validates each job type with its own fields', async () => {
    const training = await api.post('/v1/jobs', {
      job_type: 'training',
      name: 'fine-tune',
      model: 'openai/gpt-4o-mini-2024-07-18',
      train_data: [{ messages: [{ role: 'user', content: 'hi' }] }],
      train_kwargs: { n_epochs: 3 },
    });
    expect(training.status).toBe(201);
    expect(training.body).toMatchObject({
      job_type: 'training',
      model: 'openai/gpt-4o-mini-2024-07-18',
      training_status: 'not_started',
      train_data_format: 'chat',
      train_kwargs: { n_epochs: 3 },
    });
    const judge = await api.post('/v1/jobs', judgeLabelingJob);
    expect(judge.status).toBe(201);
    expect(judge.body).toMatchObject(judgeLabelingJob);
  });

  it.each([
    ['no name', { description: 'x' }, /name/],
    ['an unknown field', { name: 'x', promt: 'typo' }, /promt/],
    ['an unknown type', { name: 'x', job_type: 'batch' }, /job_type/],
    ['a training job without a model', { name: 'x', job_type: 'training' }, /model/],
    [
      'a model that is not provider/model',
      { name: 'x', job_type: 'training', model: 'gpt-4o' },
      /provider\/model/,
    ],
    [
      'maxTokens beyond int32',
      {
        ...judgeLabelingJob,
        chatCompletionConfig: { ...judgeLabelingJob.chatCompletionConfig, maxTokens: 2 ** 31 },
      },
      /maxTokens/,
    ],
    [
      'a message role that does not exist',
      {
        ...judgeLabelingJob,
        chatCompletionConfig: {
          ...judgeLabelingJob.chatCompletionConfig,
          messages: [{ role: 'tool', content: '' }],
        },
      },
      /role/,
    ],
    ['an id with a slash', { id: 'a/b', name: 'x' }, /id/],
    ['an array', [{ name: 'x' }], /./],
  ])('refuses %s with a 400 naming the field', async (_, body, detail) => {
    const response = await api.post('/v1/jobs', body);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.body.detail).toMatch(detail);
  });

  it('refuses a body that is not JSON', async () => {
    const response = await api.post('/v1/jobs', '{"name":');
    expect(response.status).toBe(400);
    expect(response.body.detail).toBe('the body must be JSON');
  });
});

describe('lifecycle through the API', () => {
  const reach: Record<string, string[]> = {
    active: [],
    paused: ['pause'],
    completed: ['complete'],
    terminated: ['terminate'],
  };
  const legal: Record<string, string> = {
    'active pause': 'paused',
    'paused resume': 'active',
    'active complete': 'completed',
    'paused complete': 'completed',
    'active terminate': 'terminated',
    'paused terminate': 'terminated',
  };
  const cases = Object.keys(reach).flatMap((from) =>
    ['pause', 'resume', 'complete', 'terminate'].map((action) => [from, action] as const),
  );
  let n = 0;
  it.each(cases)('%s → %s', async (from, action) => {
    const id = `lifecycle-${n++}`;
    expect((await api.post('/v1/jobs', { id, name: id })).status).toBe(201);
    for (const step of reach[from]!) expect((await api.post(`/v1/jobs/${id}/${step}`)).status).toBe(200);
    const response = await api.post(`/v1/jobs/${id}/${action}`);
    const to = legal[`${from} ${action}`];
    if (to) {
      expect(response.status).toBe(200);
      expect(response.body.status).toBe(to);
      // A status change is an event, not a version.
      expect(response.body.version).toBe(1);
      const events = (await api.get(`/v1/jobs/${id}/events`)).body.items;
      expect(events.at(-1)).toMatchObject({ status: to, version: 1, changes: { status: { from, to } } });
    } else {
      expect(response.status).toBe(409);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(response.body.detail).toContain(`cannot ${action}`);
      expect((await api.get(`/v1/jobs/${id}`)).body.status).toBe(from);
    }
  });

  it('walks active → paused → active → paused → completed, one event each', async () => {
    await api.post('/v1/jobs', { id: 'walk', name: 'walk' });
    for (const action of ['pause', 'resume', 'pause', 'complete'])
      expect((await api.post(`/v1/jobs/walk/${action}`)).status).toBe(200);
    const job = (await api.get('/v1/jobs/walk')).body;
    expect(job).toMatchObject({ status: 'completed', version: 1 });
    const events = (await api.get('/v1/jobs/walk/events')).body.items;
    expect(events.map((e: { kind: string }) => e.kind)).toEqual([
      'created',
      'paused',
      'resumed',
      'paused',
      'completed',
    ]);
    expect(events.map((e: { seq: number }) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    // The record points at its last event.
    expect(job.update_event_id).toBe(events[4].id);
    expect(job.creation_event_id).toBe(events[0].id);
  });

  it('answers 404 for an unknown job and 400 for an id that cannot be one', async () => {
    expect((await api.post('/v1/jobs/nope/pause')).status).toBe(404);
    expect((await api.get('/v1/jobs/nope')).status).toBe(404);
    const bad = await api.get('/v1/jobs/%20bad');
    expect(bad.status).toBe(400);
    expect(bad.body.title).toBe('Invalid job id');
  });
});

describe('versions', () => {
  it('PATCH makes n+1 with If-Match, refuses a stale If-Match, and rollback copies k into n+1', async () => {
    await api.post('/v1/jobs', {
      id: 'versioned',
      name: 'versioned',
      prompt: 'v1 prompt',
      output_model: { type: 'object', required: ['summary'] },
    });
    const v2 = await api.patch('/v1/jobs/versioned', { prompt: 'v2 prompt' }, { 'if-match': '"1"' });
    expect(v2.status).toBe(200);
    expect(v2.headers.get('etag')).toBe('"2"');
    expect(v2.body).toMatchObject({
      version: 2,
      prompt: 'v2 prompt',
      output_model: { required: ['summary'] },
    });

    const stale = await api.patch('/v1/jobs/versioned', { prompt: 'lost' }, { 'if-match': '"1"' });
    expect(stale.status).toBe(409);
    expect(stale.body.detail).toContain('at version 2, not 1');

    const v3 = await api.patch('/v1/jobs/versioned', { description: 'three', metadata: { team: 'ops' } });
    expect(v3.body.version).toBe(3);
    // Sending back what is already there changes nothing: no version, no event.
    const same = await api.patch('/v1/jobs/versioned', { description: 'three' }, { 'if-match': '3' });
    expect(same.status).toBe(200);
    expect(same.body.version).toBe(3);

    const rolled = await api.post('/v1/jobs/versioned/rollback', { version: 1 }, { 'if-match': '3' });
    expect(rolled.status).toBe(200);
    expect(rolled.body).toMatchObject({ version: 4, prompt: 'v1 prompt', description: '', metadata: {} });

    const versions = (await api.get('/v1/jobs/versioned/versions')).body;
    expect(versions.items.map((v: { version: number }) => v.version)).toEqual([4, 3, 2, 1]);
    expect(versions.next_cursor).toBeNull();
    const one = (await api.get('/v1/jobs/versioned/versions/1')).body;
    const four = (await api.get('/v1/jobs/versioned/versions/4')).body;
    const definition = (v: Record<string, unknown>) => {
      const { version: _v, update_event_id: _u, updated_at: _t, ...rest } = v;
      return rest;
    };
    expect(definition(four)).toEqual(definition(one));
    expect((await api.get('/v1/jobs/versioned/versions/2')).body.prompt).toBe('v2 prompt');

    const page = await api.get('/v1/jobs/versioned/versions?limit=3');
    expect(page.body.items).toHaveLength(3);
    const rest = await api.get(`/v1/jobs/versioned/versions?limit=3&cursor=${page.body.next_cursor}`);
    expect(rest.body.items.map((v: { version: number }) => v.version)).toEqual([1]);

    const events = (await api.get('/v1/jobs/versioned/events')).body.items;
    expect(events.map((e: { kind: string }) => e.kind)).toEqual([
      'created',
      'updated',
      'updated',
      'rolled_back',
    ]);
    expect(events[1].changes).toEqual({ prompt: { from: 'v1 prompt', to: 'v2 prompt' } });
    expect(events[3].changes).toMatchObject({
      rolled_back_to: 1,
      prompt: { from: 'v2 prompt', to: 'v1 prompt' },
      description: { from: 'three', to: '' },
    });
  });

  it('refuses bad changes with 400 and changes to a final job with 409', async () => {
    await api.post('/v1/jobs', { id: 'strict', name: 'strict' });
    const cases: Array<[unknown, RegExp]> = [
      [{ job_type: 'training' }, /job_type cannot change/],
      [{ status: 'paused' }, /status cannot be changed/],
      [{ nmae: 'typo' }, /nmae/],
      [{ name: '' }, /name/],
      [[1], /JSON object/],
    ];
    for (const [body, detail] of cases) {
      const response = await api.patch('/v1/jobs/strict', body);
      expect(response.status).toBe(400);
      expect(response.body.detail).toMatch(detail);
    }
    expect((await api.patch('/v1/jobs/strict', { prompt: 'x' }, { 'if-match': 'yesterday' })).status).toBe(
      400,
    );
    expect((await api.post('/v1/jobs/strict/rollback', { version: 9 })).status).toBe(404);
    expect((await api.post('/v1/jobs/strict/rollback', { to: 1 })).status).toBe(400);
    expect((await api.get('/v1/jobs/strict/versions/9')).status).toBe(404);
    expect((await api.get('/v1/jobs/strict/versions/x')).status).toBe(400);
    expect((await api.get('/v1/jobs/strict')).body.version).toBe(1);

    await api.post('/v1/jobs/strict/terminate');
    const late = await api.patch('/v1/jobs/strict', { prompt: 'too late' });
    expect(late.status).toBe(409);
    expect(late.body.detail).toContain('terminated, which is final');
    expect((await api.post('/v1/jobs/strict/rollback', { version: 1 })).status).toBe(409);
  });
});

describe('GET /v1/jobs', () => {
  it('filters by status, type, name and creation time, and pages with a cursor', async () => {
    const before = new Date().toISOString();
    const ids = ['list-a', 'list-b', 'list-c', 'list-d', 'list-e'];
    for (const id of ids) await api.post('/v1/jobs', { id, name: `Listing ${id}` });
    await api.post('/v1/jobs/list-b/pause');
    await api.post('/v1/jobs', {
      id: 'list-training',
      job_type: 'training',
      name: 'Listing training',
      model: 'openai/gpt-4o',
    });

    const paused = (await api.get('/v1/jobs?status=paused&name=listing')).body.items;
    expect(paused.map((j: { id: string }) => j.id)).toEqual(['list-b']);
    const training = (await api.get('/v1/jobs?type=training')).body.items;
    expect(training.map((j: { id: string }) => j.id)).toContain('list-training');
    expect(training.every((j: { job_type: string }) => j.job_type === 'training')).toBe(true);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const response = await api.get(
        `/v1/jobs?name=Listing&created_after=${before}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(response.status).toBe(200);
      expect(response.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...response.body.items.map((j: { id: string }) => j.id));
      cursor = response.body.next_cursor;
    } while (cursor);
    expect(seen.sort()).toEqual([...ids, 'list-training'].sort());
    expect((await api.get(`/v1/jobs?created_before=${before}&name=Listing`)).body.items).toEqual([]);
  });

  it.each([
    ['limit=0'],
    ['limit=201'],
    ['status=sleeping'],
    ['type=batch'],
    ['cursor=not-a-cursor'],
    // A cursor whose key was edited (a string where the created time goes), in the current format.
    [`cursor=${Buffer.from(JSON.stringify({ v: 1, c: ['x', 'job-1'] })).toString('base64url')}`],
    // The key alone, without the codec's version.
    [`cursor=${Buffer.from(JSON.stringify([1700000000000, 'job-1'])).toString('base64url')}`],
    ['created_after=yesterday'],
    ['colour=red'],
  ])('answers 400 for %s', async (query) => {
    const response = await api.get(`/v1/jobs?${query}`);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
  });
});

describe('POST /api/2/auto_eval/pseudo_label_job/get_status', () => {
  it('answers a judge_labeling job field by field, for both body shapes', async () => {
    const created = await api.post('/v1/jobs', { id: 'pseudo-1', ...judgeLabelingJob });
    await api.post('/v1/jobs/pseudo-1/pause');
    const job = (await api.get('/v1/jobs/pseudo-1')).body;
    for (const body of [{ jobId: { value: 'pseudo-1' } }, { jobId: 'pseudo-1' }]) {
      const response = await api.post('/api/2/auto_eval/pseudo_label_job/get_status', body);
      expect(response.status).toBe(200);
      expect(Object.keys(response.body).sort()).toEqual(['pseudoLabelJobResult', 'status']);
      expect(response.body.status).toBe('paused');
      const result = response.body.pseudoLabelJobResult;
      expect(result.id).toBe('pseudo-1');
      expect(result.name).toBe('label support answers');
      expect(result.description).toBe('pseudo-label the support set with a judge');
      expect(result.status).toBe('paused');
      expect(result.datasetId).toEqual({ value: 'ds-support-42' });
      expect(result.fewShotDatasetId).toEqual({ value: 'ds-fewshot-7' });
      expect(result.activeLabeledDatasetId).toEqual({ value: 'ds-active-3' });
      expect(result.selectedColumns).toEqual(['input', 'output', 'ground_truth']);
      expect(result.chatCompletionConfig).toEqual({
        vendor: 'openai',
        model: 'gpt-4o-mini',
        messages: [
          { role: 'system', content: 'You are a strict grader.' },
          { role: 'user', content: 'Grade: {{output}}' },
        ],
        maxTokens: 256,
        temperature: 0.1,
        topP: 0.9,
      });
      expect(result.promptTemplate).toEqual({ id: 'tpl-grader-1', template: 'Grade: {{output}}' });
      expect(result.baseEvaluationMetric).toBe('correctness');
      expect(result.skipActiveLabeling).toBe(true);
      expect(result.creationEventId).toBe(created.body.creation_event_id);
      expect(result.updateEventId).toBe(job.update_event_id);
      expect(result.updateEventId).not.toBe(result.creationEventId);
      expect(result.createdAt).toBe(job.created_at);
      expect(result.updatedAt).toBe(job.updated_at);
    }
  });

  it('answers the seed 002 shape: the same keys and value types, no internal fields', async () => {
    // The create body sends the dataset ids as {"value": …}, as auto_eval clients do.
    const created = await api.post('/v1/jobs', {
      id: 'pseudo-seed',
      ...judgeLabelingJob,
      datasetId: { value: 'ds-support-42' },
      fewShotDatasetId: { value: 'ds-fewshot-7' },
      activeLabeledDatasetId: { value: 'ds-active-3' },
      skipActiveLabeling: false,
    });
    expect(created.status).toBe(201);
    expect(created.body.datasetId).toBe('ds-support-42');
    await api.patch(
      '/v1/jobs/pseudo-seed',
      { fewShotDatasetId: { value: 'ds-fewshot-8' } },
      { 'if-match': '"1"' },
    );
    const response = await api.post('/api/2/auto_eval/pseudo_label_job/get_status', {
      jobId: { value: 'pseudo-seed' },
    });
    expect(response.status).toBe(200);
    expect(jsonShape(response.body)).toEqual(jsonShape(seed002PseudoLabelStatus));
    expect(response.body.pseudoLabelJobResult.fewShotDatasetId).toEqual({ value: 'ds-fewshot-8' });
  });

  it('answers 404 for an unknown job, 400 for another type and for a malformed body', async () => {
    await api.post('/v1/jobs', { id: 'not-a-judge', name: 'plain' });
    const route = '/api/2/auto_eval/pseudo_label_job/get_status';
    const unknown = await api.post(route, { jobId: { value: 'never-made' } });
    expect(unknown.status).toBe(404);
    const other = await api.post(route, { jobId: 'not-a-judge' });
    expect(other.status).toBe(400);
    expect(other.body.detail).toContain('llm_task');
    for (const body of [{}, { jobId: 42 }, { jobId: { id: 'x' } }, '[']) {
      const bad = await api.post(route, body);
      expect(bad.status).toBe(400);
      expect(bad.headers.get('content-type')).toBe('application/problem+json');
    }
  });
});

describe('/openapi.json', () => {
  it('describes the job routes with schemas generated from the zod validators', async () => {
    const document = (await api.get('/openapi.json')).body;
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/v1/jobs', '/v1/jobs/{id}', '/v1/jobs/{id}/rollback', '/v1/jobs/{id}/events']),
    );
    const created = document.paths['/v1/jobs'].post.requestBody.content['application/json'].schema;
    expect(JSON.stringify(created)).toContain('chatCompletionConfig');
  });
});

describe('templates', () => {
  const inputModel = {
    type: 'object',
    properties: { ticket: { type: 'string' }, customer: { type: 'string' } },
    required: ['ticket'],
  };

  it('stores a template, and a job made from it copies its definition and records template_id', async () => {
    const created = await api.post('/v1/templates', {
      id: 'tpl-summarise',
      name: 'Summarise',
      prompt: 'Summarise {{ticket}} for {{ customer }}',
      input_model: inputModel,
      output_model: { type: 'object', required: ['summary'] },
      metadata: { owner: 'support' },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/v1/templates/tpl-summarise');
    expect(created.body).toMatchObject({
      id: 'tpl-summarise',
      job_type: 'llm_task',
      input_model: inputModel,
    });
    expect((await api.post('/v1/templates', { id: 'tpl-summarise', name: 'again' })).status).toBe(409);
    expect((await api.get('/v1/templates/tpl-summarise')).body.prompt).toBe(
      'Summarise {{ticket}} for {{ customer }}',
    );
    expect((await api.get('/v1/templates/tpl-none')).status).toBe(404);
    const listed = (await api.get('/v1/templates?limit=10')).body;
    expect(listed.items.map((t: { id: string }) => t.id)).toContain('tpl-summarise');

    const job = await api.post('/v1/jobs', {
      template_id: 'tpl-summarise',
      id: 'from-template',
      name: 'EU tickets',
    });
    expect(job.status).toBe(201);
    expect(job.body).toMatchObject({
      id: 'from-template',
      name: 'EU tickets',
      template_id: 'tpl-summarise',
      prompt: 'Summarise {{ticket}} for {{ customer }}',
      input_model: inputModel,
      output_model: { type: 'object', required: ['summary'] },
      metadata: { owner: 'support' },
    });
    expect((await api.get('/v1/jobs/from-template')).body.template_id).toBe('tpl-summarise');
  });

  it('checks prompt variables against input_model, on the template and on a job made from it', async () => {
    const bad = await api.post('/v1/templates', {
      name: 'bad',
      prompt: 'Answer {{ticket}} in {{language}}',
      input_model: inputModel,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toContain('{{language}}');
    expect(bad.body.detail).toContain('declares: ticket, customer');

    await api.post('/v1/templates', {
      id: 'tpl-checked',
      name: 'checked',
      prompt: '{{ticket}}',
      input_model: inputModel,
    });
    const override = await api.post('/v1/jobs', { template_id: 'tpl-checked', prompt: 'Reply in {{tone}}' });
    expect(override.status).toBe(400);
    expect(override.body.detail).toContain('{{tone}}');
    const missing = await api.post('/v1/jobs', { template_id: 'tpl-missing', name: 'x' });
    expect(missing.status).toBe(400);
    expect(missing.body.detail).toContain('no template tpl-missing');
    expect((await api.get('/v1/templates?cursor=zzz')).status).toBe(400);
  });
});
