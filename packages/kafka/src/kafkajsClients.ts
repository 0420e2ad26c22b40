import type { Logger } from '@llmp/pipeline';
import {
  type Admin,
  type Consumer,
  type ConsumerRunConfig,
  Kafka,
  logLevel,
  Partitioners,
  type Producer,
  type SASLOptions,
} from 'kafkajs';
import { KafkaAccessError, kafkaAccessError } from './kafkaAccessError.ts';
import type {
  BatchControl,
  IncomingRecord,
  KafkaClients,
  KafkaConsumer,
  KafkaProducer,
  PartitionBatch,
} from './kafkaClient.ts';
import { kafkajsCompression, registerKafkajsCodecs } from './kafkajsCodecs.ts';
import type { KafkaSecurity } from './kafkaSecurity.ts';
import { unreadableHeader } from './unreadableRecords.ts';

export interface KafkajsOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
  /** How long a connection attempt may take; a down broker fails a send quickly. */
  connectionTimeoutMs?: number;
  /** For topics llmp creates: partitions, and replication factor (-1: the broker's default). */
  topicPartitions?: number;
  topicReplicationFactor?: number;
  /** SASL and TLS (kafkaSecurity() of the config); plaintext without login when absent. */
  security?: KafkaSecurity;
}

const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'debug',
  [logLevel.DEBUG]: 'debug',
};

/** A kafkajs log line about one failed attempt to reach a broker (it retries by itself). */
function connectionAttempt(namespace: string, message: string): boolean {
  return (
    (namespace === 'Connection' && /^Connection (error|timeout)/.test(message)) ||
    (namespace === 'BrokerPool' && message.startsWith('Failed to connect to seed broker'))
  );
}

function toHeaders(
  headers: Record<string, Buffer | string | (Buffer | string)[] | undefined> | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    out[key] = (Array.isArray(value) ? value.at(-1)! : value).toString();
  }
  return out;
}

/** Retries a kafkajs admin call on the errors Kafka marks retriable (a coordinator still loading...). */
export async function withRetries<T>(call: () => Promise<T>, attempts = 8): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= attempts || (error as { retriable?: boolean }).retriable !== true) throw error;
      await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** attempt)));
    }
  }
}

/** A fetched message as llmp's record; placeholders of an unreadable batch carry the reason. */
function incomingRecord(
  topic: string,
  partition: number,
  m: { offset: string; key: Buffer | null; value: Buffer | null; headers?: Record<string, unknown> },
): IncomingRecord {
  const headers = toHeaders(m.headers as Parameters<typeof toHeaders>[0]);
  const record: IncomingRecord = {
    topic,
    partition,
    offset: m.offset,
    key: m.key ? m.key.toString() : null,
    value: m.value ? new Uint8Array(m.value.buffer, m.value.byteOffset, m.value.byteLength) : null,
    headers,
  };
  const unreadable = headers[unreadableHeader];
  if (unreadable !== undefined) {
    delete headers[unreadableHeader];
    record.unreadable = unreadable;
  }
  return record;
}

/** Kafka error codes by which a heartbeat says this member must rejoin the group. */
const groupChanged = new Set([
  'REBALANCE_IN_PROGRESS',
  'UNKNOWN_MEMBER_ID',
  'ILLEGAL_GENERATION',
  'FENCED_INSTANCE_ID',
]);

function producerOf(
  kafka: Kafka,
  access: (error: unknown) => unknown,
): KafkaProducer & { connect(): Promise<void> } {
  // Idempotence with acks=all: the broker drops a retried batch it already has, and a send
  // resolves only once every in-sync replica has the records.
  const producer: Producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 5,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2000 },
  });
  // Connect lazily and again after a failure, so a role starts while Kafka is down and its
  // senders get retryable answers until the broker is back.
  let connected: Promise<void> | undefined;
  const connect = () => {
    connected ??= producer.connect().catch((error: unknown) => {
      connected = undefined;
      throw access(error);
    });
    return connected;
  };
  return {
    connect,
    async send(topic, records, { compression = 'none' } = {}) {
      await connect();
      await producer.send({
        topic,
        acks: -1,
        compression: kafkajsCompression(compression),
        messages: records.map((r) => ({
          key: r.key,
          value: Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength),
          headers: r.headers,
        })),
      });
    },
    close: () => producer.disconnect(),
  };
}

function consumerOf(
  kafka: Kafka,
  access: (error: unknown) => unknown,
  admin: Admin,
  groupId: string,
  topic: string,
  sessionTimeoutMs: number,
  fetchBytesPerPartition: number,
  partitionsAtOnce: number,
): KafkaConsumer {
  const partitions = Math.max(1, partitionsAtOnce);
  const consumer: Consumer = kafka.consumer({
    groupId,
    sessionTimeout: sessionTimeoutMs,
    heartbeatInterval: Math.max(500, Math.floor(sessionTimeoutMs / 10)),
    maxBytesPerPartition: fetchBytesPerPartition,
    // kafkajs bounds the whole fetch at 10 MiB by default, which several partitions behind at
    // once share: a few MiB each, so small inserts. As many partitions' worth as are handled at once.
    maxBytes: partitions * fetchBytesPerPartition,
    retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 10_000 },
  });
  let running = true;
  let crashListened = false;
  let onStopped: ((error: unknown) => void) | undefined;
  /** Set while run() starts the consumer: a crash then is its failure. */
  let starting: { error?: unknown } | undefined;
  /** Set while the consumer is down on an error and being restarted; cleared once it joins or gets a batch. */
  let problem: string | undefined;
  // Set once a heartbeat learns that the group is rebalancing (or dropped this member), for
  // every batch of the fetch: the handler stops after the insert under way, commits it, and
  // lets kafkajs rejoin, instead of cutting more inserts the other members wait for. Cleared
  // when the member has joined again.
  let rebalancing = false;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    rebalancing = false;
    // Joined again after a crash: it consumes, even if an idle topic brings no batch to say so.
    problem = undefined;
  });
  return {
    async run(handle, hooks = {}) {
      await Promise.all([consumer.connect(), admin.connect()]).catch((error: unknown) => {
        throw access(error);
      });
      await consumer.subscribe({ topic, fromBeginning: true });
      const options: ConsumerRunConfig = {
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: partitions,
        eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
          problem = undefined;
          const partitionBatch: PartitionBatch = {
            topic: batch.topic,
            partition: batch.partition,
            highWatermark: batch.highWatermark,
            records: batch.messages.map((m) => incomingRecord(batch.topic, batch.partition, m)),
          };
          const control: BatchControl = {
            async commit(offset, metadata = '') {
              await consumer.commitOffsets([
                { topic: batch.topic, partition: batch.partition, offset, metadata },
              ]);
              // kafkajs fetches the partition again from the last resolved offset.
              if (BigInt(offset) > 0n) resolveOffset((BigInt(offset) - 1n).toString());
            },
            async committed() {
              const [entry] = await withRetries(() => admin.fetchOffsets({ groupId, topics: [batch.topic] }));
              const partition = entry?.partitions.find((p) => p.partition === batch.partition);
              if (!partition || partition.offset === '-1') return undefined;
              return { offset: partition.offset, metadata: partition.metadata ?? '' };
            },
            active: () => running && isRunning() && !isStale() && !rebalancing,
            async heartbeat() {
              try {
                await heartbeat();
              } catch (error) {
                if (groupChanged.has((error as { type?: string }).type ?? '')) rebalancing = true;
                throw error;
              }
            },
          };
          await handle(partitionBatch, control);
        },
      };
      // kafkajs restarts a crashed consumer only when the cause is retriable. Others, such as
      // "Failed to find group coordinator" while a (re)started broker still loads its offsets
      // topic, or a login refused after a reconnect, stop it for good: the caller is told
      // (onStopped) and restarts it with its backoff. A crash while run() is starting it is
      // run()'s failure instead. run() is called again on a restart: one listener is enough.
      onStopped = hooks.onStopped;
      if (!crashListened)
        consumer.on(consumer.events.CRASH, ({ payload }) => {
          if (!running) return;
          const cause = access(payload.error);
          problem = (cause as Error)?.message ?? String(payload.error);
          if (payload.restart) return;
          if (starting) starting.error = cause;
          else onStopped?.(cause);
        });
      crashListened = true;
      const attempt: { error?: unknown } = {};
      starting = attempt;
      try {
        await consumer.run(options);
      } finally {
        starting = undefined;
      }
      if (attempt.error !== undefined) throw attempt.error;
    },
    problem: () => problem,
    async close() {
      running = false;
      await consumer.disconnect();
      await admin.disconnect();
    },
  };
}

/**
 * Kafka clients over kafkajs: an idempotent acks=all producer and group consumers with manual
 * commits (offset metadata included), which is what the gateway and ingester need.
 * @example const kafka = kafkajsClients({ brokers: ['localhost:9092'], clientId: 'llmp', logger });
 */
export function kafkajsClients({
  brokers,
  clientId,
  logger,
  connectionTimeoutMs = 3000,
  topicPartitions = 6,
  topicReplicationFactor = -1,
  security = {},
}: KafkajsOptions): KafkaClients {
  registerKafkajsCodecs();
  const { sasl, tls } = security;
  // A refused login or certificate is a config problem, not an outage: say so (KafkaAccessError).
  const access = (error: unknown) =>
    kafkaAccessError(error, { brokers, mechanism: sasl?.mechanism, username: sasl?.username }) ?? error;
  const kafka = new Kafka({
    clientId,
    brokers,
    ...(tls ? { ssl: tls } : {}),
    ...(sasl
      ? {
          sasl: {
            mechanism: sasl.mechanism.toLowerCase(),
            username: sasl.username,
            password: sasl.password,
          } as SASLOptions,
        }
      : {}),
    connectionTimeout: connectionTimeoutMs,
    requestTimeout: 10_000,
    logLevel: logLevel.WARN,
    logCreator: () => (entry) => {
      const { message, ...rest } = entry.log;
      // kafkajs logs each failed connection attempt as an error, with a stack: many lines a
      // second while a broker is down. llmp says it once itself (a warning, /readyz, retryable
      // answers to senders), so those go to debug.
      const level = connectionAttempt(entry.namespace, message) ? 'debug' : (levels[entry.level] ?? 'debug');
      logger[level]({ kafka: entry.namespace, ...rest }, message);
    },
  });
  return {
    async producer() {
      const producer = producerOf(kafka, access);
      await producer.connect().catch((error: unknown) => {
        if (error instanceof KafkaAccessError) logger.error({ kind: error.kind }, error.message);
        else logger.warn({ err: error, brokers }, 'Kafka not reachable yet; will connect on first send');
      });
      return producer;
    },
    async ensureTopics(topics) {
      const admin = kafka.admin();
      await admin.connect().catch((error: unknown) => {
        throw access(error);
      });
      try {
        // A topic just made (here or by another role) may not be in every broker's metadata yet:
        // waiting for its leaders then fails with UNKNOWN_TOPIC_OR_PARTITION (retriable), so
        // list and create again until it settles.
        await withRetries(async () => {
          const existing = new Set(await admin.listTopics());
          const missing = topics.filter((t) => !existing.has(t));
          if (missing.length === 0) return;
          await admin.createTopics({
            waitForLeaders: true,
            topics: missing.map((topic) => ({
              topic,
              numPartitions: topicPartitions,
              replicationFactor: topicReplicationFactor,
            })),
          });
          logger.info({ topics: missing, partitions: topicPartitions }, 'created Kafka topics');
        });
      } finally {
        await admin.disconnect();
      }
    },
    async consumer({
      groupId,
      topic,
      sessionTimeoutMs = 30_000,
      fetchBytesPerPartition = 8 * 1024 ** 2,
      partitionsAtOnce = 1,
      maxInflatedBatchBytes,
    }) {
      // kafkajs keeps one codec table per process: the last consumer made sets the bound.
      if (maxInflatedBatchBytes !== undefined)
        registerKafkajsCodecs({ maxBatchBytes: maxInflatedBatchBytes });
      return consumerOf(
        kafka,
        access,
        kafka.admin(),
        groupId,
        topic,
        sessionTimeoutMs,
        fetchBytesPerPartition,
        partitionsAtOnce,
      );
    },
  };
}
