import { type ClickHouseStore, migrate, storeTraceSource } from '@llmp/clickhouse';
import { jobStore } from '@llmp/jobs';
import { queryApp } from '@llmp/query-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobsApi } from '../support/jobsApi.ts';
import { tempDir } from '../support/tempDir.ts';
import { openTestStore } from '../support/testStore.ts';

// A job's checks through the API in-process, over the embedded ClickHouse engine: refused at
// create and update when unusable, run on demand by POST /v1/jobs/{id}/validate.
const dir = tempDir('job-validation');
let store: ClickHouseStore;
let app: ReturnType<typeof queryApp>;
let api: ReturnType<typeof jobsApi>;

beforeAll(async () => {
  store = await openTestStore(dir.path);
  await migrate(store);
  app = queryApp({ source: storeTraceSource(store), jobs: jobStore(store) });
  api = jobsApi(app);
});
afterAll(async () => {
  await store?.close();
  dir.remove();
});

const triageScript = `
// The seed's shape: a function over the parsed output (and the input), a verdict with a message.
function validate(output, input) {
  if (typeof output !== 'object' || output === null) return { valid: false, message: 'output is not an object' };
  if (input && output.ticket !== input.ticket) return { valid: false, message: 'answers ticket ' + output.ticket + ', not ' + input.ticket };
  return output.priority === 'high' || output.priority === 'low';
}`;

const triage = {
  id: 'triage',
  name: 'Triage tickets',
  prompt: 'Triage {{ticket}}',
  input_model: { type: 'object', required: ['ticket'], properties: { ticket: { type: 'string' } } },
  output_model: {
    type: 'object',
    required: ['ticket', 'priority'],
    properties: { ticket: { type: 'string' }, priority: { type: 'string' } },
  },
  validation_script: triageScript,
  test_input: { ticket: 'T-1' },
};

describe('unusable checks are refused at create and update', () => {
  it('answers 400 for a script that does not compile, or defines no validate function', async () => {
    const syntax = await api.post('/v1/jobs', {
      ...triage,
      id: 'bad-script',
      validation_script: 'function validate(o) { return o. }',
    });
    expect(syntax.status).toBe(400);
    expect(syntax.body.detail).toMatch(/^validation_script does not load: SyntaxError/);
    const none = await api.post('/v1/jobs', { ...triage, id: 'bad-script', validation_script: 'let x = 1' });
    expect(none.status).toBe(400);
    expect(none.body.detail).toBe(
      'validation_script must define function validate(output, input) or be a function expression',
    );
    expect((await api.get('/v1/jobs/bad-script')).status).toBe(404);
  });

  it('answers 400 for an output_model or input_model that is not a JSON Schema', async () => {
    const output = await api.post('/v1/jobs', {
      ...triage,
      id: 'bad-schema',
      output_model: { type: 'strng' },
    });
    expect(output.status).toBe(400);
    expect(output.body.detail).toMatch(/^output_model is not a valid JSON Schema: /);
    const input = await api.post('/v1/jobs', {
      ...triage,
      id: 'bad-schema',
      input_model: { type: 'object', required: 'ticket' },
    });
    expect(input.status).toBe(400);
    expect(input.body.detail).toMatch(/^input_model is not a valid JSON Schema: /);
  });

  it('refuses the same for a template', async () => {
    const template = await api.post('/v1/templates', { ...triage, id: 'tpl-bad', validation_script: '}' });
    expect(template.status).toBe(400);
    expect(template.body.detail).toMatch(/^validation_script does not load: SyntaxError/);
    expect((await api.post('/v1/templates', { ...triage, id: 'tpl-good' })).status).toBe(201);
  });

  it('refuses the same on PATCH and keeps the version', async () => {
    expect((await api.post('/v1/jobs', { ...triage, id: 'patched' })).status).toBe(201);
    const script = await api.patch('/v1/jobs/patched', { validation_script: 'validate = (' });
    expect(script.status).toBe(400);
    expect(script.body.detail).toMatch(/SyntaxError/);
    const schema = await api.patch('/v1/jobs/patched', { output_model: { properties: 3 } });
    expect(schema.status).toBe(400);
    expect(schema.body.detail).toMatch(/^output_model is not a valid JSON Schema/);
    const ok = await api.patch('/v1/jobs/patched', { validation_script: '(output) => output.ticket !== ""' });
    expect(ok.status).toBe(200);
    expect(ok.body.version).toBe(2);
  });
});

describe('POST /v1/jobs/{id}/validate', () => {
  beforeAll(async () => {
    expect((await api.post('/v1/jobs', triage)).status).toBe(201);
  });

  it("runs both schemas and the script on the job's test_input and the given output", async () => {
    const pass = await api.post('/v1/jobs/triage/validate', { output: { ticket: 'T-1', priority: 'high' } });
    expect(pass.status).toBe(200);
    expect(pass.body).toEqual({
      version: 1,
      input_source: 'test_input',
      input_model: { valid: true, error: null },
      output_model: { valid: true, error: null },
      validation_script: { valid: true, outcome: 'pass', reason: null, message: null },
      valid: true,
    });
    const wrong = await api.post('/v1/jobs/triage/validate', {
      output: '{"ticket":"T-2","priority":"high"}',
    });
    expect(wrong.body).toMatchObject({
      output_model: { valid: true, error: null },
      validation_script: { valid: false, outcome: 'fail', message: 'answers ticket T-2, not T-1' },
      valid: false,
    });
  });

  it('takes the input from the body and says what each check found', async () => {
    const run = await api.post('/v1/jobs/triage/validate', { input: { id: 7 }, output: 'Sure! High.' });
    expect(run.body).toEqual({
      version: 1,
      input_source: 'body',
      input_model: { valid: false, error: "/ must have required property 'ticket'" },
      output_model: { valid: false, error: 'output is not JSON' },
      validation_script: { valid: false, outcome: 'fail', reason: null, message: 'output is not an object' },
      valid: false,
    });
  });

  it('reports a script that throws or loops as an error of the script', async () => {
    await api.post('/v1/jobs', {
      id: 'loops',
      name: 'loops',
      validation_script: '(output) => { while (output.spin) {} return output.a.b }',
    });
    const thrown = await api.post('/v1/jobs/loops/validate', { output: {} });
    expect(thrown.body.validation_script).toMatchObject({ valid: false, outcome: 'error', reason: 'thrown' });
    expect(thrown.body.validation_script.message).toMatch(/TypeError/);
    const looped = await api.post('/v1/jobs/loops/validate', { output: { spin: true } });
    expect(looped.body.validation_script).toEqual({
      valid: false,
      outcome: 'error',
      reason: 'timeout',
      message: 'validation_script ran past 50 ms',
    });
    expect(looped.body).toMatchObject({ input_source: 'none', input_model: null, output_model: null });
  });

  it('checks an older version on request, and answers 404 and 400 where it should', async () => {
    await api.patch('/v1/jobs/triage', { validation_script: '() => false' });
    const latest = await api.post('/v1/jobs/triage/validate', { output: { ticket: 'T-1', priority: 'low' } });
    expect(latest.body).toMatchObject({ version: 2, valid: false });
    const first = await api.post('/v1/jobs/triage/validate', {
      version: 1,
      output: { ticket: 'T-1', priority: 'low' },
    });
    expect(first.body).toMatchObject({ version: 1, valid: true });
    expect((await api.post('/v1/jobs/triage/validate', { version: 9, output: 1 })).status).toBe(404);
    expect((await api.post('/v1/jobs/nobody/validate', { output: 1 })).status).toBe(404);
    expect((await api.post('/v1/jobs/triage/validate', { input: 1 })).status).toBe(400);
    expect((await api.post('/v1/jobs/triage/validate', { output: 1, extra: 1 })).status).toBe(400);
  });
});

describe('GET /v1/jobs/{id}?format=text', () => {
  it('prints the record readably', async () => {
    const response = await app.request('/v1/jobs/triage?format=text');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text.split('\n')[0]).toBe('triage  llm_task, active, version 2');
    expect(text).toContain('  prompt        Triage {{ticket}}');
    expect(text).toContain('  output model  object with ticket, priority');
    expect(text).toContain('  validation    () => false');
    expect(text).toContain('  test input    {"ticket":"T-1"}');
    expect((await app.request('/v1/jobs/triage?format=yaml')).status).toBe(400);
  });
});
