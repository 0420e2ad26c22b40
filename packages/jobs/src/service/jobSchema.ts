import { z } from 'zod';

// The LLMP job model as zod schemas: the single source of the API's validation and of the
// OpenAPI types (z.toJSONSchema). Field names follow the LLMP JobRecord: snake_case for the
// record and training fields, camelCase for the judge-labeling fields (the names the
// auto_eval pseudo-label API uses).

export const jobStatus = z.enum(['active', 'paused', 'completed', 'terminated']);
export type JobStatus = z.infer<typeof jobStatus>;

export const jobType = z.enum(['llm_task', 'training', 'judge_labeling']);
export type JobType = z.infer<typeof jobType>;

/** Ids are chosen by users (and arrive on spans), so they are kept printable and bounded. */
export const jobId = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/,
    'must be 1-128 letters, digits, ".", "_", ":" or "-", starting with a letter or digit',
  );

/** A JSON Schema document (an object), or null when the job does not constrain that side. */
const jsonSchemaDocument = z.record(z.string(), z.json()).nullable().default(null);

const definitionFields = {
  name: z.string().trim().min(1).max(256),
  description: z.string().max(10_000).default(''),
  prompt: z.string().max(200_000).default(''),
  input_model: jsonSchemaDocument,
  output_model: jsonSchemaDocument,
  validation_script: z.string().max(200_000).default(''),
  test_input: z.json().nullable().default(null),
  metadata: z.record(z.string(), z.json()).default({}),
};

export const trainingStatus = z.enum([
  'not_started',
  'pending',
  'running',
  'succeeded',
  'failed',
  'cancelled',
]);

/** A fine-tuning job. */
export const trainingFields = {
  model: z.string().regex(/^[^/\s]+\/\S+$/, 'must be "provider/model"'),
  training_status: trainingStatus.default('not_started'),
  train_data_format: z.enum(['chat', 'completion', 'instruction', 'preference']).default('chat'),
  train_data: z.array(z.json()).max(100_000).default([]),
  train_kwargs: z.record(z.string(), z.json()).default({}),
};

export const chatMessage = z.strictObject({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string(),
});

/** An LLM-judge pseudo-labeling job. */
export const judgeLabelingFields = {
  datasetId: z.string().min(1),
  fewShotDatasetId: z.string().min(1).nullable().default(null),
  activeLabeledDatasetId: z.string().min(1).nullable().default(null),
  selectedColumns: z
    .array(z.enum(['input', 'output', 'ground_truth']))
    .min(1)
    .default(['input', 'output']),
  chatCompletionConfig: z.strictObject({
    vendor: z.string().min(1),
    model: z.string().min(1),
    messages: z.array(chatMessage).max(1000).default([]),
    maxTokens: z.int32().positive().nullable().default(null),
    temperature: z.number().min(0).max(2).nullable().default(null),
    topP: z.number().gt(0).max(1).nullable().default(null),
  }),
  promptTemplate: z.strictObject({ id: z.string().min(1), template: z.string() }),
  baseEvaluationMetric: z.string().min(1),
  skipActiveLabeling: z.boolean().default(false),
};

/** Fields only one job type has; they are stored together in the `spec` column. */
export const specFieldNames: Record<JobType, string[]> = {
  llm_task: [],
  training: Object.keys(trainingFields),
  judge_labeling: Object.keys(judgeLabelingFields),
};

const llmTaskDefinition = z.strictObject({ job_type: z.literal('llm_task'), ...definitionFields });
const trainingDefinition = z.strictObject({
  job_type: z.literal('training'),
  ...definitionFields,
  ...trainingFields,
});
const judgeLabelingDefinition = z.strictObject({
  job_type: z.literal('judge_labeling'),
  ...definitionFields,
  ...judgeLabelingFields,
});

/** What a user defines: everything a version holds. Unknown fields are refused, not dropped. */
export const jobDefinition = z.discriminatedUnion('job_type', [
  llmTaskDefinition,
  trainingDefinition,
  judgeLabelingDefinition,
]);
export type JobDefinition = z.infer<typeof jobDefinition>;

/** `POST /v1/jobs`: a definition (job_type defaults to llm_task) and optionally the id to use. */
export const createJobBody = z.preprocess(
  (body) =>
    body !== null && typeof body === 'object' && !Array.isArray(body) && !('job_type' in body)
      ? { ...body, job_type: 'llm_task' }
      : body,
  z.discriminatedUnion('job_type', [
    llmTaskDefinition.extend({ id: jobId.optional() }),
    trainingDefinition.extend({ id: jobId.optional() }),
    judgeLabelingDefinition.extend({ id: jobId.optional() }),
  ]),
);

/** `PATCH /v1/jobs/{id}`: any definition fields; merged onto the current version, then validated whole. */
export const patchJobBody = z.record(z.string(), z.json());

const recordFields = {
  id: z.string(),
  status: jobStatus,
  version: z.int().positive(),
  template_id: z.string().nullable(),
  /** Registered because a span named it, not by a user. */
  discovered: z.boolean(),
  creation_event_id: z.string(),
  update_event_id: z.string(),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
};

/** A job as the API returns it: the definition of its latest version plus its state. */
export const jobRecord = z.discriminatedUnion('job_type', [
  llmTaskDefinition.extend(recordFields),
  trainingDefinition.extend(recordFields),
  judgeLabelingDefinition.extend(recordFields),
]);
export type JobRecord = z.infer<typeof jobRecord>;

export const jobEventKind = z.enum([
  'created',
  'discovered',
  'updated',
  'rolled_back',
  'paused',
  'resumed',
  'completed',
  'terminated',
]);
export type JobEventKind = z.infer<typeof jobEventKind>;

export const jobEvent = z.object({
  id: z.string(),
  job_id: z.string(),
  seq: z.int().positive(),
  kind: jobEventKind,
  actor: z.string().nullable(),
  time: z.iso.datetime(),
  /** The job's version and status after the event. */
  version: z.int().positive(),
  status: jobStatus,
  /** Changed fields as `{ field: { from, to } }`; the whole definition for created. */
  changes: z.record(z.string(), z.json()),
});
export type JobEvent = z.infer<typeof jobEvent>;

/** Filters of `GET /v1/jobs`. */
export const listJobsQuery = z.strictObject({
  status: jobStatus.optional(),
  type: jobType.optional(),
  /** Case-insensitive substring of the name. */
  name: z.string().min(1).max(256).optional(),
  created_after: z.iso.datetime({ offset: true }).optional(),
  created_before: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(512).optional(),
});
export type ListJobsQuery = z.infer<typeof listJobsQuery>;

export type { Page } from '@llmp/pipeline';
