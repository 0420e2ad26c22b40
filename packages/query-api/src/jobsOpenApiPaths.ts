import { createJobBody, jobEvent, jobRecord, listJobsQuery, patchJobBody, validateJobBody } from '@llmp/jobs';
import { z } from 'zod';
import { metricSteps } from './searchQuery.ts';

// Generated from the same zod schemas that validate requests, so the document cannot drift.
const schema = (type: z.ZodType, io: 'input' | 'output' = 'output') =>
  z.toJSONSchema(type, { io, unrepresentable: 'any', target: 'openapi-3.0' });

const problem = { description: 'Problem', content: { 'application/problem+json': {} } };
const json = (s: unknown, description = 'OK') => ({
  description,
  content: { 'application/json': { schema: s } },
});
const page = (items: unknown) =>
  json({
    type: 'object',
    properties: { items: { type: 'array', items }, next_cursor: { type: ['string', 'null'] } },
  });
const idParameter = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const ifMatch = {
  name: 'If-Match',
  in: 'header',
  required: false,
  description: 'the version the client read; another current version answers 409',
  schema: { type: 'string' },
};
const pageParameters = [
  { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } },
  { name: 'cursor', in: 'query', schema: { type: 'string' } },
];

const check = {
  type: 'object',
  nullable: true,
  properties: { valid: { type: 'boolean' }, error: { type: 'string', nullable: true } },
};

/** OpenAPI paths of the job routes, merged into `/openapi.json` when jobs are served. */
export function jobsOpenApiPaths(): Record<string, unknown> {
  const record = schema(jobRecord);
  const errors = { '400': problem, '404': problem, '409': problem };
  const listParameters = Object.entries(schema(listJobsQuery, 'input').properties ?? {}).map(([name, s]) => ({
    name,
    in: 'query',
    schema: s,
  }));
  const action = (summary: string) => ({
    post: { summary, parameters: [idParameter, ifMatch], responses: { '200': json(record), ...errors } },
  });
  return {
    '/v1/jobs': {
      post: {
        summary:
          'Define a job (version 1, status active); with template_id, the template definition under the fields given',
        requestBody: { content: { 'application/json': { schema: schema(createJobBody, 'input') } } },
        responses: { '201': json(record, 'Created'), ...errors },
      },
      get: { summary: 'Jobs, newest first', parameters: listParameters, responses: { '200': page(record) } },
    },
    '/v1/jobs/{id}': {
      get: {
        summary: 'A job; with format=text, a readable summary (text/plain)',
        parameters: [
          idParameter,
          {
            name: 'format',
            in: 'query',
            schema: { type: 'string', enum: ['json', 'text'], default: 'json' },
          },
        ],
        responses: {
          '200': { ...json(record), content: { ...json(record).content, 'text/plain': {} } },
          ...errors,
        },
      },
      patch: {
        summary: 'Change the definition: makes version n+1',
        parameters: [idParameter, ifMatch],
        requestBody: { content: { 'application/json': { schema: schema(patchJobBody, 'input') } } },
        responses: { '200': json(record), ...errors },
      },
    },
    '/v1/jobs/{id}/validate': {
      post: {
        summary:
          "Run the job's input_model, output_model and validation_script on an output (and an input, else test_input)",
        parameters: [idParameter],
        requestBody: { content: { 'application/json': { schema: schema(validateJobBody, 'input') } } },
        responses: {
          '200': json({
            type: 'object',
            properties: {
              version: { type: 'integer' },
              input_source: { type: 'string', enum: ['body', 'test_input', 'none'] },
              input_model: check,
              output_model: check,
              validation_script: {
                type: 'object',
                nullable: true,
                properties: {
                  valid: { type: 'boolean' },
                  outcome: { type: 'string', enum: ['pass', 'fail', 'error'] },
                  reason: { type: 'string', nullable: true },
                  message: { type: 'string', nullable: true },
                },
              },
              valid: { type: 'boolean', nullable: true },
            },
          }),
          ...errors,
        },
      },
    },
    '/v1/jobs/{id}/pause': action('active → paused'),
    '/v1/jobs/{id}/resume': action('paused → active'),
    '/v1/jobs/{id}/complete': action('active|paused → completed (final)'),
    '/v1/jobs/{id}/terminate': action('active|paused → terminated (final)'),
    '/v1/jobs/{id}/rollback': {
      post: {
        summary: 'Make version n+1 equal to version k',
        parameters: [idParameter, ifMatch],
        requestBody: {
          content: {
            'application/json': {
              schema: { type: 'object', required: ['version'], properties: { version: { type: 'integer' } } },
            },
          },
        },
        responses: { '200': json(record), ...errors },
      },
    },
    '/v1/jobs/{id}/versions': {
      get: {
        summary: 'Versions, newest first',
        parameters: [idParameter, ...pageParameters],
        responses: { '200': page({}) },
      },
    },
    '/v1/jobs/{id}/versions/{version}': {
      get: {
        summary: 'One version',
        parameters: [
          idParameter,
          { name: 'version', in: 'path', required: true, schema: { type: 'integer' } },
        ],
        responses: { '200': json({}), ...errors },
      },
    },
    '/v1/jobs/{id}/events': {
      get: {
        summary: 'Events, oldest first',
        parameters: [idParameter, ...pageParameters],
        responses: { '200': page(schema(jobEvent)), ...errors },
      },
    },
    '/v1/jobs/{id}/traces': {
      get: {
        summary: 'Traces linked to the job (through any of their spans), newest first',
        parameters: [idParameter, ...pageParameters],
        responses: { '200': page({}), ...errors },
      },
    },
    '/v1/jobs/{id}/metrics': {
      get: {
        summary:
          'Runs, spans, errors, run latency p50/p95/p99, tokens, cost and validation pass rate of the linked traces, per version and per time bucket on request; per evaluation name, what its scores add up to (evaluations)',
        parameters: [
          idParameter,
          { name: 'by', in: 'query', schema: { type: 'string', enum: ['version'] } },
          {
            name: 'step',
            in: 'query',
            description: "Adds `buckets`: the same numbers per time bucket of the runs' starts",
            schema: { type: 'string', enum: Object.keys(metricSteps) },
          },
          {
            name: 'from',
            in: 'query',
            description: 'Only runs that started at or after it (with a step: default a day before `to`)',
            schema: { type: 'string', format: 'date-time' },
          },
          {
            name: 'to',
            in: 'query',
            description: 'Only runs that started before it (default now)',
            schema: { type: 'string', format: 'date-time' },
          },
        ],
        responses: { '200': json({ type: 'object' }), ...errors },
      },
    },
    '/v1/jobs/{id}/logs': {
      get: {
        summary: 'Job events, span events and exceptions of the linked traces, newest first',
        parameters: [idParameter, ...pageParameters],
        responses: { '200': page({}), ...errors },
      },
    },
    '/v1/jobs/{id}/scores': {
      get: {
        summary:
          'Evaluation results (gen_ai.evaluation.result, as log records or span events) of the linked traces, newest first',
        parameters: [idParameter, ...pageParameters],
        responses: {
          '200': page({
            type: 'object',
            properties: {
              time: { type: 'string' },
              timeUnixNano: { type: 'string' },
              traceId: { type: 'string' },
              spanId: { type: 'string', nullable: true },
              name: { type: 'string' },
              score: { type: 'number', nullable: true },
              label: { type: 'string' },
              explanation: { type: 'string' },
              evaluator: { type: 'string' },
              source: { type: 'string', enum: ['log_record', 'span_event'] },
            },
          }),
          ...errors,
        },
      },
    },
    '/v1/templates': {
      post: {
        summary: 'A reusable job definition; its prompt variables ({{name}}) must be input_model properties',
        requestBody: { content: { 'application/json': { schema: schema(createJobBody, 'input') } } },
        responses: { '201': json({}, 'Created'), '400': problem, '409': problem },
      },
      get: { summary: 'Templates by id', parameters: pageParameters, responses: { '200': page({}) } },
    },
    '/v1/templates/{id}/spans': {
      get: {
        summary:
          'Spans whose gen_ai.prompt.name is the template id (and gen_ai.prompt.version the version asked for): GET /v1/spans with those filters, taking its other query parameters',
        parameters: [idParameter, { name: 'version', in: 'query', schema: { type: 'string' } }],
        responses: { '200': json({ type: 'object' }), ...errors },
      },
    },
    '/v1/templates/{id}': {
      get: { summary: 'A template', parameters: [idParameter], responses: { '200': json({}), ...errors } },
    },
    '/api/2/auto_eval/pseudo_label_job/get_status': {
      post: {
        summary: 'Status of a judge_labeling job, for auto_eval clients',
        requestBody: {
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: {
                  jobId: {
                    oneOf: [
                      { type: 'string' },
                      { type: 'object', properties: { value: { type: 'string' } } },
                    ],
                  },
                },
              },
            },
          },
        },
        responses: { '200': json(pseudoLabelStatus), ...errors },
      },
    },
  };
}

const wrappedId = {
  type: ['object', 'null'],
  properties: { value: { type: 'string' } },
  required: ['value'],
};
const pseudoLabelStatus = {
  type: 'object',
  required: ['status', 'pseudoLabelJobResult'],
  properties: {
    status: { type: 'string' },
    pseudoLabelJobResult: {
      type: 'object',
      properties: {
        id: { type: 'string' },
        name: { type: 'string' },
        description: { type: 'string' },
        status: { type: 'string' },
        datasetId: wrappedId,
        fewShotDatasetId: wrappedId,
        activeLabeledDatasetId: wrappedId,
        selectedColumns: { type: 'array', items: { type: 'string' } },
        chatCompletionConfig: { type: 'object' },
        promptTemplate: { type: 'object' },
        baseEvaluationMetric: { type: 'string' },
        skipActiveLabeling: { type: 'boolean' },
        creationEventId: { type: 'string' },
        updateEventId: { type: 'string' },
        createdAt: { type: 'string', format: 'date-time' },
        updatedAt: { type: 'string', format: 'date-time' },
      },
    },
  },
};
