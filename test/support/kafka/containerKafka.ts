/** The port KafkaContainer publishes for clients outside the container. */
const clientPort = 9093;

export interface ContainerKafka {
  brokers: string[];
  stop(): Promise<void>;
}

export interface ContainerKafkaOptions {
  /** Confluent Platform 8.0 carries Apache Kafka 4.0 and runs KRaft only. */
  image?: string;
  /** How long to wait for a container engine to answer before giving up on this way. */
  detectTimeoutMs?: number;
}

/**
 * Starts a single-node KRaft Kafka in a container through testcontainers. Rejects within
 * `detectTimeoutMs` when no container engine answers, so the caller can fall back.
 * @example const kafka = await containerKafka(); afterAll(() => kafka.stop());
 */
export async function containerKafka({
  image = 'confluentinc/cp-kafka:8.0.0',
  detectTimeoutMs = 10_000,
}: ContainerKafkaOptions = {}): Promise<ContainerKafka> {
  // Loaded here, not at the top: a run with KAFKA_BROKERS set never needs testcontainers.
  const { getContainerRuntimeClient } = await import('testcontainers');
  await withinTime(getContainerRuntimeClient(), detectTimeoutMs, 'no container engine answered');
  const { KafkaContainer } = await import('@testcontainers/kafka');
  const container = await new KafkaContainer(image)
    .withKraft()
    .withEnvironment({ KAFKA_NUM_PARTITIONS: '3', KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'true' })
    .start();
  return {
    brokers: [`${container.getHost()}:${container.getMappedPort(clientPort)}`],
    stop: async () => {
      await container.stop();
    },
  };
}

function withinTime<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${timeoutMs} ms`)), timeoutMs);
  });
  // The loser of the race must not surface later as an unhandled rejection.
  work.catch(() => {});
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
