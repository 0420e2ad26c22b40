import { byteSize, duration } from '@llmp/pipeline';
import { z } from 'zod';

const settingName = /^[a-z][a-z0-9_.]*$/;

/**
 * The `clickhouse.embedded` config section (see EmbeddedEngineOptions), with a role's default for
 * how long freed pages are kept. Ignored when the store is a ClickHouse server.
 */
function embeddedEngineSection({ freedMemoryDecay }: { freedMemoryDecay: number }) {
  return z
    .object({
      maxMemory: byteSize(0),
      freedMemoryDecay: duration(freedMemoryDecay),
      deriveInterval: duration(1000),
      derivePendingBytes: byteSize(128 * 1024 ** 2),
      serverSettings: z
        .record(
          z.string().regex(settingName, 'must be a ClickHouse server setting name'),
          z.union([z.string(), z.number()]),
        )
        .default({}),
    })
    .prefault({});
}

/**
 * The section for roles that answer queries (`llmp start`, `llmp query`): freed pages kept 1 s.
 * Returning them at once kept `llmp start` under 1 GiB at twice its rate but made every query
 * 3–5× slower and cost the ingester a third of its rate; the engine's own 5 s let the ingester
 * peak higher for no more speed (docs/benchmarks.md, _Memory of the embedded roles_).
 */
export const embeddedEngineConfig = embeddedEngineSection({ freedMemoryDecay: 1000 });

/**
 * The section for `llmp ingester`: freed pages kept 250 ms. Its inserts and merges run back to
 * back, so the pages one leaves were still resident when the next allocated: 250 ms took its peak
 * from 971–1 030 to 914–957 MiB for at most 3 % of its rate; `--with-api` queries ran 3–8 % slower
 * (docs/benchmarks.md, _Memory of the embedded roles_).
 */
export const ingesterEmbeddedEngineConfig = embeddedEngineSection({ freedMemoryDecay: 250 });

/** How the embedded engine (chdb) of an embedded store is started; see engineArgs and allocatorConf. */
export interface EmbeddedEngineOptions {
  /**
   * The engine's bound on the memory its queries, inserts and merges hold
   * (`max_server_memory_usage`, bytes); past it the statement fails, which the exporter reports
   * as retryable. 0 keeps the engine's own bound, 90 % of the machine's memory.
   */
  maxMemory?: number;
  /**
   * How long the engine's allocator (its own jemalloc, not Node's) keeps freed pages before it
   * returns them to the system (`dirty_decay_ms`). An INSERT of a few thousand LLM spans
   * allocates and frees hundreds of MiB; kept pages count in the process's RSS. Unset leaves
   * the allocator's own 5 s; the config section's default is 1 s, the ingester's 250 ms
   * (docs/benchmarks.md, _Memory of the embedded roles_).
   */
  freedMemoryDecay?: number;
  /**
   * How often the derived tables (trace_search, trace_job_usage, span_metrics_hourly …) are
   * filled from the spans INSERTed since (ms; spansDeriver.ts, migration 31); the query API
   * derives what waits before a read, and shutdown derives the rest. 0: after every INSERT, before
   * its sender is answered. The config section's default is 1 s: one derive of a second's
   * INSERTs costs the engine less than the views on each INSERT (docs/benchmarks.md, "The
   * derived tables filled once per interval").
   */
  deriveInterval?: number;
  /**
   * Bytes of spans INSERTed and not yet derived past which an INSERT derives before its sender
   * is answered (backpressure; nothing is dropped).
   */
  derivePendingBytes?: number;
  /** More server settings for the engine, e.g. `{ mark_cache_size: 268435456 }`. */
  serverSettings?: Readonly<Record<string, string | number>>;
}

/**
 * The command-line arguments that start the engine with these options. Server settings cannot be
 * SET on a session: they take effect when the engine starts, so they travel as arguments.
 * @example engineArgs({ maxMemory: 2 ** 30 }) // ['--max_server_memory_usage=1073741824']
 */
export function engineArgs({ maxMemory = 0, serverSettings = {} }: EmbeddedEngineOptions): string[] {
  const settings: Record<string, string | number> = { ...serverSettings };
  if (maxMemory > 0) settings.max_server_memory_usage = maxMemory;
  return Object.entries(settings).map(([name, value]) => {
    if (!settingName.test(name)) throw new TypeError(`"${name}" is not a ClickHouse server setting name`);
    if (/[\0\n]/.test(String(value))) throw new TypeError(`the value of ${name} holds a control character`);
    return `--${name}=${value}`;
  });
}

/**
 * The engine's jemalloc reads its options from `JE_MALLOC_CONF` once, when the library loads; an
 * operator's own value wins. Returns the value to set, or undefined to leave the environment as is.
 * @example allocatorConf({ freedMemoryDecay: 0 }, process.env.JE_MALLOC_CONF) // 'dirty_decay_ms:0'
 */
export function allocatorConf(
  { freedMemoryDecay }: EmbeddedEngineOptions,
  current: string | undefined,
): string | undefined {
  if (current !== undefined || freedMemoryDecay === undefined) return undefined;
  return `dirty_decay_ms:${Math.round(freedMemoryDecay)}`;
}
