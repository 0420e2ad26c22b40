import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Counter, type Registry } from 'prom-client';

export interface IdleHeapReleaseOptions {
  /** Garbage worth a collection: memory this far above what was live after the last one. */
  slackBytes?: number;
  /** How often memory is looked at; idle means it barely moved between two looks. */
  intervalMs?: number;
  /** Growth between two looks below which the process counts as idle. */
  idleGrowthBytes?: number;
  /** Memory that a full collection can give back (default: V8 heap used + external). */
  memory?: () => number;
  /** A full, compacting collection (default: V8's, exposed at first use). */
  collect?: () => void;
  registry?: Registry | undefined;
}

export interface IdleHeapRelease {
  collectNow(): void;
  stop(): void;
}

/**
 * Gives memory back after a burst: once the process is idle with much more heap and external
 * memory than was live after the last full collection, it runs one full collection.
 *
 * Why: V8 collects when allocating; an idle process keeps a burst's garbage. Measured on
 * `llmp start` after 12 requests of 12 000 spans (docs/benchmarks.md, "give memory back"): heap
 * used 186 MiB and external 197 MiB stayed for over 60 s (RSS 813 MiB, idle 404) until V8's own
 * memory reducer ran within 3 min; one full collection at +10 s brought RSS to 449 MiB.
 * @example const release = idleHeapRelease({ registry }); … release.stop();
 */
export function idleHeapRelease({
  slackBytes = 64 * 1024 ** 2,
  intervalMs = 5000,
  idleGrowthBytes = 4 * 1024 ** 2,
  memory = () => {
    const { heapUsed, external } = process.memoryUsage();
    return heapUsed + external;
  },
  collect = fullCollection,
  registry,
}: IdleHeapReleaseOptions = {}): IdleHeapRelease {
  const releases = new Counter({
    name: 'llmp_process_idle_heap_releases_total',
    help: 'Full garbage collections run because the process was idle with a burst of garbage',
    registers: registry ? [registry] : [],
  });
  let baseline = memory();
  let previous = baseline;
  const collectNow = () => {
    collect();
    baseline = memory();
    releases.inc();
  };
  const timer = setInterval(() => {
    const now = memory();
    const idle = now - previous < idleGrowthBytes;
    previous = now;
    if (now < baseline) baseline = now;
    else if (idle && now - baseline > slackBytes) {
      collectNow();
      previous = baseline;
    }
  }, intervalMs);
  timer.unref();
  return { collectNow, stop: () => clearInterval(timer) };
}

let gc: (() => void) | undefined;

/** V8's full collection; `--expose-gc` set at run time makes `gc` available to a new context. */
function fullCollection(): void {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}
