export { hostedJobLinker, jobsResource } from './linker/hostedJobLinker.ts';
export {
  inactiveJobAttribute,
  type JobDirectory,
  type JobLinkerConfig,
  type JobModels,
  jobLinkerConfig,
  jobLinkerFactory,
} from './linker/jobLinker.ts';
export { jobLinkerMetrics } from './linker/jobLinkerMetrics.ts';
export { type JobEventOutbox, jobEventOutbox, type ProjectJobEvent } from './repository/jobEventOutbox.ts';
export { type JobLogEntry, jobLogs } from './repository/jobLogs.ts';
export {
  type JobMetrics,
  type JobMetricsOptions,
  type JobRunMetrics,
  jobMetrics,
} from './repository/jobMetrics.ts';
export { definitionOf, type JobVersion, jobVersionOf } from './repository/jobRows.ts';
export {
  type JobEvaluation,
  type JobScore,
  jobEvaluations,
  jobScores,
} from './repository/jobScores.ts';
export {
  type JobFailure,
  type JobResult,
  type JobStore,
  jobStore,
  type PageRequest,
  type SpanJobRef,
  type WriteOptions,
} from './repository/jobStore.ts';
export { type JobTrace, jobTracePage } from './repository/jobTracePage.ts';
export { linkedTraceSource, type SpanSource } from './repository/linkedTraceSource.ts';
export { pageCursor } from './repository/pageCursor.ts';
export { type JobTemplate, type TemplateStore, templateStore } from './repository/templateStore.ts';
export { type TraceJobLink, traceJobLinks } from './repository/traceJobLinks.ts';
export { definitionProblem } from './service/definitionProblem.ts';
export { type JobCheckResults, type JobChecks, jobOutputChecks } from './service/jobOutputChecks.ts';
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
} from './service/jobSchema.ts';
export { jobSummary } from './service/jobSummary.ts';
export { type JobAction, jobActions, jobTransition } from './service/jobTransition.ts';
export {
  type JobValidationRun,
  jobValidationRun,
  type ValidateJobBody,
  validateJobBody,
} from './service/jobValidationRun.ts';
export { unwrapDatasetIds, wrapDatasetId } from './service/judgeLabelingIds.ts';
export { promptMismatch, promptVariables } from './service/promptVariables.ts';
export { type SchemaCheck, schemaValidator } from './service/schemaValidator.ts';
export {
  type ScriptCompileResult,
  type ScriptVerdict,
  type ValidationScriptOptions,
  type ValidationScripts,
  validationScripts,
} from './service/validationScript.ts';
