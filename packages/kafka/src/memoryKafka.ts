import type {
  BatchControl,
  CommittedOffset,
  IncomingRecord,
  KafkaConsumer,
  KafkaProducer,
  OutgoingRecord,
  PartitionBatch,
} from './kafkaClient.ts';

/**
 * An in-memory stand-in for a Kafka cluster, for the unit tests of the Kafka components only
 * (integration tests use a real broker): topics of partitions, committed offsets with metadata.
 */
export class MemoryKafka {
  readonly topics = new Map<string, IncomingRecord[][]>();
  readonly commits = new Map<string, CommittedOffset>();
  partitions: number;

  constructor(partitions = 1) {
    this.partitions = partitions;
  }

  records(topic: string): IncomingRecord[] {
    return (this.topics.get(topic) ?? []).flat();
  }

  append(
    topic: string,
    record:
      | OutgoingRecord
      | {
          key: string | null;
          value: Uint8Array | null;
          headers?: Record<string, string>;
          unreadable?: string;
        },
    partition?: number,
  ): void {
    let parts = this.topics.get(topic);
    if (!parts) {
      parts = Array.from({ length: this.partitions }, () => []);
      this.topics.set(topic, parts);
    }
    const p =
      partition ??
      (record.key
        ? [...record.key].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7) % this.partitions
        : 0);
    const list = parts[p]!;
    list.push({
      topic,
      partition: p,
      offset: String(list.length),
      key: record.key,
      value: record.value,
      headers: { ...(record.headers ?? {}) },
      ...('unreadable' in record && record.unreadable !== undefined ? { unreadable: record.unreadable } : {}),
    });
  }

  producer({ failWith }: { failWith?: () => Error | undefined } = {}): KafkaProducer {
    return {
      send: async (topic, records) => {
        const error = failWith?.();
        if (error) throw error;
        for (const r of records) this.append(topic, r);
      },
      close: async () => undefined,
    };
  }

  /** A consumer that hands out what is on the topic from the committed offsets, `fetchSize` records at a time. */
  consumer(
    groupId: string,
    topic: string,
    { fetchSize = 1000 } = {},
  ): KafkaConsumer & { drain(): Promise<void>; stop(): void } {
    let handler: ((batch: PartitionBatch, control: BatchControl) => Promise<void>) | undefined;
    let active = true;
    const key = (p: number) => `${groupId}/${topic}/${p}`;
    return {
      run: async (handle) => {
        handler = handle;
      },
      close: async () => {
        active = false;
      },
      stop: () => {
        active = false;
      },
      drain: async () => {
        for (let round = 0; round < 1000 && active; round++) {
          let progressed = false;
          const parts = this.topics.get(topic) ?? [];
          for (const [p, list] of parts.entries()) {
            const from = Number(this.commits.get(key(p))?.offset ?? 0);
            if (from >= list.length) continue;
            const before = this.commits.get(key(p))?.offset;
            await handler!(
              {
                topic,
                partition: p,
                records: list.slice(from, from + fetchSize),
                highWatermark: String(list.length),
              },
              {
                commit: async (offset, metadata = '') => {
                  this.commits.set(key(p), { offset, metadata });
                },
                committed: async () => this.commits.get(key(p)),
                active: () => active,
                heartbeat: async () => undefined,
              },
            );
            if (this.commits.get(key(p))?.offset !== before) progressed = true;
          }
          if (!progressed) return;
        }
      },
    };
  }
}
