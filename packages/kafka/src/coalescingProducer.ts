import type { KafkaProducer, OutgoingRecord } from './kafkaClient.ts';
import type { CompressionCodec } from './recordCodecs.ts';

export interface CoalescingProducerOptions {
  /**
   * Bytes of one partition's records in one merged send, at most: the broker refuses a record
   * batch over its `message.max.bytes` (1 MiB by default) and the client writes one batch per
   * partition per produce request. A caller's own records are never split, so a single send
   * over it goes alone, as it would without merging.
   */
  maxBatchBytes?: number;
  /** Bytes of one merged send, at most (same rule for a single send). */
  maxRequestBytes?: number;
  /**
   * Merged sends handed to the client at a time. 1 keeps each partition's produce requests
   * strictly one after the other; the idempotent producer keeps order up to 5.
   */
  sendsInFlight?: number;
  /** Told of every merged send: how many callers and records it carries (for a metric). */
  onSend?: (callers: number, records: number) => void;
}

interface PendingSend {
  topic: string;
  records: OutgoingRecord[];
  compression: CompressionCodec;
  bytes: number;
  resolve: () => void;
  reject: (error: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/** A record's share of a produce request: its bytes plus the record framing and header names. */
function recordBytes(record: OutgoingRecord): number {
  let bytes = record.value.byteLength + record.key.length + 24;
  for (const name in record.headers) bytes += name.length + record.headers[name]!.length + 8;
  return bytes;
}

/**
 * Merges the sends that arrive while earlier ones are in flight into one send of the wrapped
 * producer (one produce request per broker, one record batch per partition), so N concurrent
 * OTLP requests cost one produce request instead of N: fewer request headers, batch CRCs,
 * socket writes and acknowledgement round trips. A send that finds nothing in flight goes at
 * once (no linger). Each caller's promise settles with the merged send: resolved once Kafka
 * acknowledged every record of it, rejected with the same error for every merged caller when it
 * failed, so nobody is told "stored" for records that were not. Sends are merged in arrival
 * order, only with the same topic and codec, within `maxBatchBytes` per partition and
 * `maxRequestBytes` per send. A caller whose `signal` aborts before its records were handed on
 * is dropped from the queue and rejected with the abort reason.
 * @example const producer = coalescingProducer(await clients.producer(), { maxBatchBytes: 1_000_000 });
 */
export function coalescingProducer(
  producer: KafkaProducer,
  {
    maxBatchBytes = 1_000_000,
    maxRequestBytes = 8 * 1024 ** 2,
    sendsInFlight = 1,
    onSend,
  }: CoalescingProducerOptions = {},
): KafkaProducer {
  const queue: PendingSend[] = [];
  let inFlight = 0;

  /** Bytes per partition of these sends' records; one bucket when the client cannot tell. */
  function partitionBytes(sends: PendingSend[], into = new Map<number, number>()): Map<number, number> {
    for (const send of sends) {
      for (const record of send.records) {
        const partition = producer.partitionOf?.(send.topic, record.key) ?? -1;
        into.set(partition, (into.get(partition) ?? 0) + recordBytes(record));
      }
    }
    return into;
  }

  /** The sends at the head of the queue that fit one merged send (always at least one). */
  function take(): PendingSend[] {
    const first = queue.shift()!;
    const merged = [first];
    let requestBytes = first.bytes;
    // Counted per partition only once the whole send could pass the batch cap.
    let partitions: Map<number, number> | undefined;
    while (queue.length > 0) {
      const next = queue[0]!;
      if (next.topic !== first.topic || next.compression !== first.compression) break;
      if (requestBytes + next.bytes > maxRequestBytes) break;
      if (requestBytes + next.bytes > maxBatchBytes) {
        partitions ??= partitionBytes(merged);
        const added = partitionBytes([next]);
        let fits = true;
        for (const [partition, bytes] of added) {
          if ((partitions.get(partition) ?? 0) + bytes > maxBatchBytes) fits = false;
        }
        if (!fits) break;
        for (const [partition, bytes] of added)
          partitions.set(partition, (partitions.get(partition) ?? 0) + bytes);
      }
      requestBytes += next.bytes;
      merged.push(queue.shift()!);
    }
    return merged;
  }

  function pump(): void {
    while (inFlight < sendsInFlight && queue.length > 0) {
      const merged = take();
      let records: OutgoingRecord[];
      if (merged.length === 1) records = merged[0]!.records;
      else {
        records = [];
        for (const send of merged) for (const record of send.records) records.push(record);
      }
      for (const send of merged) if (send.onAbort) send.signal!.removeEventListener('abort', send.onAbort);
      inFlight += 1;
      onSend?.(merged.length, records.length);
      const { topic, compression } = merged[0]!;
      producer
        .send(topic, records, { compression })
        .then(
          () => {
            for (const send of merged) send.resolve();
          },
          (error: unknown) => {
            for (const send of merged) send.reject(error);
          },
        )
        .finally(() => {
          inFlight -= 1;
          pump();
        });
    }
  }

  return {
    send(topic, records, { compression = 'none', signal } = {}) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      let bytes = 0;
      for (const record of records) bytes += recordBytes(record);
      return new Promise<void>((resolve, reject) => {
        const pending: PendingSend = {
          topic,
          records,
          compression,
          bytes,
          resolve,
          reject,
          signal,
          onAbort: undefined,
        };
        if (signal) {
          pending.onAbort = () => {
            const at = queue.indexOf(pending);
            if (at < 0) return;
            queue.splice(at, 1);
            reject(signal.reason);
          };
          signal.addEventListener('abort', pending.onAbort, { once: true });
        }
        queue.push(pending);
        pump();
      });
    },
    close: () => producer.close(),
    ...(producer.partitionOf ? { partitionOf: producer.partitionOf.bind(producer) } : {}),
  };
}
