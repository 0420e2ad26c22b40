import { readdirSync, readFileSync } from 'node:fs';

const ticksPerSecond = 100; // USER_HZ on Linux

/** CPU seconds (user + system) a process (or one of its threads) has used so far, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number, thread?: number): number {
  const stat = readFileSync(
    thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`,
    'utf8',
  );
  // Fields after the command name, which may contain spaces, start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/** Peak resident memory of a process in MiB (VmHWM), from /proc/<pid>/status. */
export function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kib / 1024);
}

/** Current resident memory in MiB (VmRSS). */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

/**
 * Samples a process's RSS while `work` runs and returns the peak seen (VmHWM is since start).
 * @example const { result, peakMiB } = await samplePeakRss(pid, () => runLoad(...));
 */
export async function samplePeakRss<T>(
  pid: number,
  work: () => Promise<T>,
): Promise<{ result: T; peakMiB: number }> {
  let peak = rssMiB(pid);
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssMiB(pid));
    } catch {
      // the process ended
    }
  }, 100);
  try {
    return { result: await work(), peakMiB: peak };
  } finally {
    clearInterval(timer);
  }
}

/**
 * The environment of a role process: with BENCH_CPU_PROF set, Node writes a `--cpu-prof`
 * profile of the role into BENCH_CPU_PROF/<role> when it stops.
 * @example startLlmp({ dataDir, env: profiledEnv('all-in-one') })
 */
export function profiledEnv(role: string): Record<string, string> {
  const dir = process.env.BENCH_CPU_PROF;
  return dir ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${dir}/${role}` } : {};
}

/** The Java children of this process (e.g. the Kafka broker the Maven helper spawned). */
export function javaChildren(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === process.pid && stat.includes('(java)')) pids.push(Number(entry));
    } catch {
      // the process ended between the listing and the read
    }
  }
  return pids;
}

/** The machine's CPU seconds so far, busy and in all (every core), from the `cpu` line of /proc/stat. */
export function machineCpuSeconds(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  // user nice system idle iowait irq softirq steal (guest and guest_nice are counted in user/nice)
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line
    .trim()
    .split(/\s+/)
    .slice(1, 9)
    .map(Number) as [number, number, number, number, number, number, number, number];
  const busy = user + nice + system + irq + softirq + steal;
  return { busy: busy / ticksPerSecond, total: (busy + idle + iowait) / ticksPerSecond };
}

/**
 * CPU seconds this process has used so far plus those of its children it has already reaped
 * (utime, stime, cutime, cstime): over a run, the sender in this process and a sender child
 * (telemetrygen) that exited within it.
 */
export function selfAndReapedChildrenCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / ticksPerSecond;
}

/**
 * Seconds a thread has spent runnable but waiting for a core (the run queue), from
 * /proc/<pid>/task/<tid>/schedstat: how much a thread that wanted to run was held back by the others.
 */
export function runQueueWaitSeconds(pid: number, thread = pid): number {
  const [, waitNs] = readFileSync(`/proc/${pid}/task/${thread}/schedstat`, 'utf8').split(' ');
  return Number(waitNs) / 1e9;
}

/**
 * Seconds all of a process's threads have spent runnable but waiting for a core (a multi-threaded
 * sender such as telemetrygen's Go runtime); 0 once the process is gone.
 */
export function processRunQueueWaitSeconds(pid: number): number {
  let sum = 0;
  let threads: string[];
  try {
    threads = readdirSync(`/proc/${pid}/task`);
  } catch {
    return 0;
  }
  for (const thread of threads) {
    try {
      sum += runQueueWaitSeconds(pid, Number(thread));
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return sum;
}
