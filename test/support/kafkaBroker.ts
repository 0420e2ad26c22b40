import { containerKafka } from './kafka/containerKafka.ts';
import { mavenKafka } from './kafka/mavenKafka.ts';

export interface KafkaBroker {
  /** host:port bootstrap addresses. */
  brokers: string[];
  /** Stops a broker this helper started (a no-op for KAFKA_BROKERS); safe to call twice. */
  stop(): Promise<void>;
  source: 'env' | 'testcontainers' | 'maven';
}

/**
 * A real Apache Kafka broker for a test run, from the first of: `KAFKA_BROKERS` (comma list);
 * a container engine through testcontainers; Kafka run from its Maven Central jars with the
 * machine's Java 17. Resolves with undefined when none is available, so suites can skip,
 * unless `LLMP_REQUIRE_KAFKA=1`, where it rejects saying why each way failed.
 * @example const kafka = await kafkaBroker(); describe.skipIf(!kafka)('…', …); afterAll(() => kafka?.stop());
 */
export async function kafkaBroker(): Promise<KafkaBroker | undefined> {
  const fromEnv = (process.env.KAFKA_BROKERS ?? '')
    .split(',')
    .map((address) => address.trim())
    .filter((address) => address !== '');
  if (fromEnv.length > 0) return { brokers: fromEnv, stop: async () => {}, source: 'env' };

  const failures = ['KAFKA_BROKERS: not set'];
  try {
    return { ...(await containerKafka()), source: 'testcontainers' };
  } catch (error) {
    failures.push(`testcontainers: ${reason(error)}`);
  }
  try {
    const { brokers, stop } = await mavenKafka();
    return { brokers, stop, source: 'maven' };
  } catch (error) {
    failures.push(`Kafka from Maven Central jars: ${reason(error)}`);
  }

  const why = failures.map((failure) => `- ${failure}`).join('\n');
  if (process.env.LLMP_REQUIRE_KAFKA === '1') {
    throw new Error(`LLMP_REQUIRE_KAFKA=1 but no Kafka broker could be had:\n${why}`);
  }
  console.warn(`No Kafka broker; the suites that need one are skipped:\n${why}`);
  return undefined;
}

export interface DedicatedKafkaBroker {
  /** host:port bootstrap addresses; they stay the same across pause() and resume(). */
  brokers: string[];
  /** Stops the broker for good and removes its data; safe to call twice. */
  stop(): Promise<void>;
  /** Takes the broker down, keeping its data and ports: SIGTERM (default) shuts it down cleanly, SIGKILL crashes it. */
  pause(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Starts the paused broker again with the same data on the same ports; resolves once it is ready. */
  resume(): Promise<void>;
  /** The broker's log dir, where a partition's record batches lie as the producer sent them. */
  logDir: string;
  source: 'maven';
}

/**
 * A broker of the calling test's own, which it may take down and bring back (broker-outage
 * tests): never `KAFKA_BROKERS` nor the run's shared broker, since stopping those would break
 * other suites. Kafka from its Maven Central jars with the machine's Java 17, the only way here
 * that restarts on the same ports. Resolves with undefined when it cannot be had, unless
 * `LLMP_REQUIRE_KAFKA=1`, where it rejects saying why.
 * @example const kafka = await dedicatedKafkaBroker(); await kafka?.pause(); await kafka?.resume();
 */
export async function dedicatedKafkaBroker(): Promise<DedicatedKafkaBroker | undefined> {
  try {
    // A short broker session, so that after a crash (pause('SIGKILL')) the controller fences the
    // old incarnation and lets the resumed one register within seconds, not Kafka's default 9 s.
    const { brokers, stop, pause, resume, logDir } = await mavenKafka({ brokerSessionTimeoutMs: 3000 });
    return { brokers, stop, pause, resume, logDir, source: 'maven' };
  } catch (error) {
    const why = `Kafka from Maven Central jars: ${reason(error)}`;
    if (process.env.LLMP_REQUIRE_KAFKA === '1') {
      throw new Error(
        `LLMP_REQUIRE_KAFKA=1 but no dedicated (restartable) Kafka broker could be had:\n- ${why}`,
      );
    }
    console.warn(`No dedicated Kafka broker; the suites that stop one are skipped:\n- ${why}`);
    return undefined;
  }
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
