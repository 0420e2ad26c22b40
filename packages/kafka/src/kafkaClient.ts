import type { CompressionCodec } from './recordCodecs.ts';

/**
 * The narrow surface llmp needs from a Kafka client; one adapter implements it over the chosen
 * library, and tests can implement it in memory. Offsets are decimal strings (int64).
 */
export interface OutgoingRecord {
  key: string;
  value: Uint8Array;
  headers: Record<string, string>;
}

export interface SendOptions {
  /** The codec the records' batches are compressed with; 'none' when absent. */
  compression?: CompressionCodec;
  /**
   * Aborted when the caller stopped waiting (its send timed out): records not yet handed to the
   * client are dropped then, so a caller that was answered holds no memory (coalescingProducer).
   */
  signal?: AbortSignal;
}

export interface KafkaProducer {
  /** Resolves only once every record is acknowledged by all in-sync replicas (acks=all). */
  send(topic: string, records: OutgoingRecord[], options?: SendOptions): Promise<void>;
  close(): Promise<void>;
  /**
   * The partition the client writes a record with this key to, when it knows the topic's
   * partition count (from metadata it already fetched); undefined otherwise.
   */
  partitionOf?(topic: string, key: string): number | undefined;
}

export interface IncomingRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Uint8Array | null;
  headers: Record<string, string>;
  /**
   * Set when the client could not read the record's batch (it could not be decompressed): the
   * reason. The batch's first record then holds the batch's original bytes, the others none.
   */
  unreadable?: string;
}

/** Records of one partition, in offset order. */
export interface PartitionBatch {
  topic: string;
  partition: number;
  records: IncomingRecord[];
  /** The partition's log end offset when fetched, if the client reports it (for the lag metric). */
  highWatermark?: string;
}

export interface CommittedOffset {
  /** The next offset to read. */
  offset: string;
  /** What the committer stored beside it (llmp keeps the pending insert range there). */
  metadata: string;
}

export interface KafkaConsumer {
  /**
   * Consumes with the group, never committing by itself; `handle` is called with the records of
   * one partition at a time, in order, and is not called again for that partition before it
   * resolves. Returns once the consumer runs; rejects when it could not start (call it again to
   * retry). `onStopped` is told when a running consumer stopped on an error the client does not
   * recover from by itself; `run` again restarts it.
   */
  run(
    handle: (batch: PartitionBatch, control: BatchControl) => Promise<void>,
    hooks?: { onStopped?: (error: unknown) => void },
  ): Promise<void>;
  close(): Promise<void>;
  /** Why the client cannot consume at the moment (it crashed and is restarting), if it cannot. */
  problem?(): string | undefined;
}

export interface BatchControl {
  /** Commits `offset` (the next to read) for the batch's partition, with metadata. */
  commit(offset: string, metadata?: string): Promise<void>;
  /** The group's committed offset and metadata for the batch's partition, if any. */
  committed(): Promise<CommittedOffset | undefined>;
  /** False once the consumer is stopping or lost the partition: stop retrying then. */
  active(): boolean;
  heartbeat(): Promise<void>;
}

/** Makes producers and consumers for one cluster; the adapter of the chosen library implements it. */
export interface KafkaClients {
  /** A connected idempotent producer with acks=all. */
  producer(): Promise<KafkaProducer>;
  /** Creates the topics that do not exist yet (partitions and replication from the config). */
  ensureTopics(topics: string[]): Promise<void>;
  /**
   * A consumer of `topic` in `groupId` that never commits by itself (call `run` to start it).
   * `fetchBytesPerPartition` bounds what one fetch brings of each partition, `partitionsAtOnce`
   * how many partitions' batches are handled at the same time.
   */
  consumer(options: {
    groupId: string;
    topic: string;
    sessionTimeoutMs?: number;
    fetchBytesPerPartition?: number;
    partitionsAtOnce?: number;
    /** A fetched batch that would inflate past this is handed on as unreadable. */
    maxInflatedBatchBytes?: number;
  }): Promise<KafkaConsumer>;
}
