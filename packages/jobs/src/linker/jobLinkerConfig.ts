import { byteSize, duration } from '@llmp/pipeline';
import { z } from 'zod';

const attributeKey = z.string().min(1).max(256);

export const jobLinkerConfig = z.object({
  /**
   * More attribute keys naming the job, its version and its type, read after the `llmp.job.*`
   * ones (span, then scope, then resource); a value found under an alias is stored under the
   * `llmp.job.*` key on the span.
   */
  aliases: z
    .object({
      id: z.array(attributeKey).default([]),
      version: z.array(attributeKey).default([]),
      type: z.array(attributeKey).default([]),
    })
    .prefault({}),
  /** How long a job's status is trusted before it is read again. */
  statusCacheTtl: duration(5000),
  /** Jobs whose status is remembered at most. */
  maxCachedJobs: z.number().int().positive().default(10_000),
  /**
   * Check the output of each linked span against its job version's output_model (JSON Schema),
   * and its `llmp.job.input` (the job's input as JSON) against input_model; the results go on
   * the span as llmp.validation.output|input (pass|fail) and llmp.validation.output|input_error.
   */
  validateOutputs: z.boolean().default(true),
  /**
   * Bounds of the sandbox (QuickJS in WebAssembly) that runs a job's validation_script on each
   * linked output: time per run, heap per script, scripts kept loaded (one runtime each, so
   * `maxScripts` x `memoryLimit` bounds the sandbox's memory), script time per batch (the
   * outputs past it are left unchecked, so one job's slow script cannot stall the pipeline).
   */
  validationScript: z
    .object({
      timeout: duration(50),
      memoryLimit: byteSize(16 * 1024 * 1024),
      maxScripts: z.number().int().positive().max(1000).default(16),
      batchBudget: duration(2000),
    })
    .prefault({}),
});

export type JobLinkerConfig = z.infer<typeof jobLinkerConfig>;
