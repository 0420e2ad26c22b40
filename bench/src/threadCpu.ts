import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU seconds of a process (this one by default) by thread name (MainThread, V8Worker = GC
 * helpers, libuv-worker; chdb's ThreadPool, …).
 */
export function threadCpu(pid: number | 'self' = 'self'): Map<string, number> {
  const byName = new Map<string, number>();
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/\d+$/, '');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      byName.set(name, (byName.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {
      // the thread ended
    }
  }
  return byName;
}
