import { Counter, metricSet } from '@llmp/pipeline';

/**
 * The job linker's metrics.
 * @example jobLinkerMetrics(settings.registry).validationScriptRuns.inc({ outcome: 'pass' });
 */
export const jobLinkerMetrics = metricSet((registers) => ({
  validationScriptRuns: new Counter({
    name: 'llmp_jobs_validation_script_runs_total',
    help: "Runs of jobs' validation_script on linked outputs, by outcome: pass, fail, or why there was no verdict (compile, thrown, timeout, memory, result, disabled, sandbox)",
    labelNames: ['outcome'] as const,
    registers,
  }),
}));
