import { expect } from 'vitest';
import { providedBrokers, startGateway, startIngester, type Topics } from './distributedRoles.ts';
import { waitFor } from './kafkaTopicReader.ts';
import type { LlmpProcess } from './llmpProcess.ts';
import { processScope } from './processScope.ts';

/**
 * What a suite of the distributed roles shares: the run's brokers, a temp dir and the processes
 * it started, all stopped (SIGKILL) and removed after the suite; `roles` starts a gateway and an
 * ingester on `topics`, `crashBetweenInsertAndCommit` an ingester that loses its first commit.
 * @example const { brokers, roles } = distributedSuite('distributed-logs'); const { gateway, ingester } = await roles('sdk', topics);
 */
export function distributedSuite(name: string) {
  const brokers = providedBrokers();
  const { dir, track } = processScope(name);
  const roles = async (prefix: string, topics: Topics) => ({
    gateway: track(await startGateway({ dataDir: `${dir.path}/${prefix}-gateway`, brokers, topics })),
    ingester: track(await startIngester({ dataDir: `${dir.path}/${prefix}-ingester`, brokers, topics })),
  });

  /**
   * Fault injection: an ingester that kills itself right after its first insert, before the
   * commit, is started (so it is ready, every signal's receiver started) before `send` runs;
   * once it died, an ingester on the same data dir is started and returned after it logged
   * that it re-inserts the range whose commit was lost.
   */
  const crashBetweenInsertAndCommit = async (
    prefix: string,
    topics: Topics,
    send: () => Promise<unknown>,
  ): Promise<LlmpProcess> => {
    const dataDir = `${dir.path}/${prefix}-ingester`;
    const crashing = track(
      await startIngester({ dataDir, brokers, topics, env: { LLMP_FAULT_EXIT_AFTER_INSERTS: '1' } }),
    );
    const crashed = new Promise<NodeJS.Signals | null>((resolve) =>
      crashing.child.once('close', (_c, s) => resolve(s)),
    );
    await send();
    expect(await crashed).toBe('SIGKILL');
    expect(crashing.stderr()).toMatch(/fault injection: exiting after insert of .*, before commit/);
    const restarted = track(await startIngester({ dataDir, brokers, topics }));
    await waitFor(
      async () => restarted.logs.some((l) => l.msg === 're-inserting a range whose commit was lost'),
      (seen) => seen,
    );
    return restarted;
  };

  return { brokers, dir, track, roles, crashBetweenInsertAndCommit };
}
