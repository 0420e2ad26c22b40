import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { basename } from 'node:path';

/** One line naming the machine, for every results table. */
export function machine(): string {
  const cpu = cpus();
  return `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 1024 ** 3)} GiB, Node ${process.version}`;
}

/**
 * The file system a store under `dir` lives on, as `findmnt` names it, and for ext4 whether it
 * keeps a journal (a jbd2 entry for its device): this VM's `/` is ext4 without one, which adds
 * kernel time to every INSERT (docs/benchmarks.md, "Where the store lives").
 * @example storeFilesystem('/mnt/ext4j/tmp'); // 'ext4 with journal (/dev/loop0 on /mnt/ext4j)'
 */
export function storeFilesystem(dir: string): string {
  try {
    const [source = '', fstype = '', target = ''] = execFileSync(
      'findmnt',
      ['-n', '-o', 'SOURCE,FSTYPE,TARGET', '--target', dir],
      { encoding: 'utf8' },
    )
      .trim()
      .split(/\s+/);
    const device = basename(source);
    const journal =
      fstype !== 'ext4'
        ? ''
        : existsSync('/proc/fs/jbd2') && readdirSync('/proc/fs/jbd2').some((d) => d.startsWith(`${device}-`))
          ? ' with journal'
          : ' without journal';
    return `${fstype}${journal} (${source} on ${target})`;
  } catch (error) {
    return `unknown (${(error as Error).message.split('\n')[0]})`;
  }
}
