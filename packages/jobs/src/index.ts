export { definitionProblem } from './definitionProblem.ts';
export { hostedJobLinker, jobsResource } from './hostedJobLinker.ts';
export {
  inactiveJobAttribute,
  type JobDirectory,
  type JobLinkerConfig,
  type JobModels,
  jobLinkerConfig,
  jobLinkerFactory,
} from './jobLinker.ts';
export { type JobLogEntry, jobLogs } from './jobLogs.ts';
export { type JobMetrics, type JobRunMetrics, jobMetrics } from './jobMetrics.ts';
export { type JobCheckResults, type JobChecks, jobOutputChecks } from './jobOutputChecks.ts';
export { definitionOf, type JobVersion, jobVersionOf } from './jobRows.ts';
export {
  chatMessage,
  createJobBody,
  type JobDefinition,
  type JobEvent,
  type JobEventKind,
  type JobRecord,
  type JobStatus,
  type JobType,
  jobDefinition,
  jobEvent,
  jobEventKind,
  jobId,
  jobRecord,
  jobStatus,
  jobType,
  type ListJobsQuery,
  listJobsQuery,
  type Page,
  patchJobBody,
} from './jobSchema.ts';
export {
  type JobFailure,
  type JobResult,
  type JobStore,
  jobStore,
  type PageRequest,
  type SpanJobRef,
  type WriteOptions,
} from './jobStore.ts';
export { jobSummary } from './jobSummary.ts';
export { type JobTrace, jobTracePage } from './jobTracePage.ts';
export { type JobAction, jobActions, jobTransition } from './jobTransition.ts';
export {
  type JobValidationRun,
  jobValidationRun,
  type ValidateJobBody,
  validateJobBody,
} from './jobValidationRun.ts';
export { linkedTraceSource, type SpanSource } from './linkedTraceSource.ts';
export { pageCursor } from './pageCursor.ts';
export { promptMismatch, promptVariables } from './promptVariables.ts';
export { type SchemaCheck, schemaValidator } from './schemaValidator.ts';
export { type JobTemplate, type TemplateStore, templateStore } from './templateStore.ts';
export { type TraceJobLink, traceJobLinks } from './traceJobLinks.ts';
export {
  type ScriptCompileResult,
  type ScriptVerdict,
  type ValidationScriptOptions,
  type ValidationScripts,
  validationScripts,
} from './validationScript.ts';
