import { OtlpDecodeError, type TraceBatch } from '@llmp/otlp';
import {
  backoffConfig,
  backoffDelay,
  byteSize,
  type Component,
  type ComponentSettings,
  type Consumer,
  duration,
  onceShutdown,
  retryWithBackoff,
  sleep,
} from '@llmp/pipeline';
import { z } from 'zod';
import { dedupToken, parsePending, pendingMetadata } from './dedupToken.ts';
import { KafkaAccessError } from './kafkaAccessError.ts';
import type {
  BatchControl,
  IncomingRecord,
  KafkaConsumer,
  KafkaProducer,
  PartitionBatch,
} from './kafkaClient.ts';
import { projectHeader } from './kafkaExporter.ts';
import { kafkaReceiverMetrics } from './kafkaReceiverMetrics.ts';
import type { KafkaSignal } from './kafkaSignal.ts';
import { traceSignal } from './traceSignal.ts';

/**
 * Where a signal other than traces is read, as the Collector's kafkareceiver has `logs.topic`
 * and `metrics.topic`: its topic, its dead-letter topic and its consumer group (unset: the
 * traces `groupId` with `-logs` / `-metrics` appended, so each topic has a group of its own).
 */
const signalTopics = (topic: string, deadLetterTopic: string) =>
  z
    .object({
      topic: z.string().min(1).default(topic),
      groupId: z.string().min(1).optional(),
      deadLetterTopic: z.string().min(1).default(deadLetterTopic),
    })
    .prefault({});

export const kafkaReceiverConfig = z.object({
  /** The traces topic, its consumer group and its dead-letter topic. */
  topic: z.string().min(1).default('otlp_spans'),
  groupId: z.string().min(1).default('llmp-ingester'),
  deadLetterTopic: z.string().min(1).default('otlp_spans_dlq'),
  /** Read when a logs pipeline names this receiver. */
  logs: signalTopics('otlp_logs', 'otlp_logs_dlq'),
  /** Read when a metrics pipeline names this receiver. */
  metrics: signalTopics('otlp_metrics', 'otlp_metrics_dlq'),
  /** An insert gathers records of one partition up to this many spans (log records …)... */
  maxBatchSpans: z.number().int().positive().default(20_000),
  /**
   * ...or this many record bytes; also what one fetch brings of each partition. 8 MiB (~5 000
   * LLM spans): 16 MiB inserts made no measurable difference to the ingester's CPU per span but
   * raised its peak RSS (docs/benchmarks.md, _Memory of the embedded roles_).
   */
  maxBatchBytes: z
    .number()
    .int()
    .positive()
    .default(8 * 1024 ** 2),
  /**
   * Partitions whose batches are decoded and inserted at the same time; each holds a batch and
   * an insert in memory. On two cores one drains as fast as two (17 984 against 17 877 spans/s,
   * medians of two 2.5 M-span drains) with a peak RSS of 1 004–1 041 against 1 105–1 148 MiB
   * (docs/benchmarks.md, "Memory of the embedded roles"); with more cores, more may pay.
   */
  partitionsAtOnce: z.number().int().min(1).max(64).default(1),
  /**
   * Backoff between retries of an insert or dead-letter send that failed with a retryable error
   * (exponential, jittered). They never give up: the partition cannot move past its records;
   * `stallTimeout` makes readiness say so.
   */
  retryOnFailure: backoffConfig({ initialInterval: 200, maxInterval: 30_000 }),
  /**
   * Backoff between attempts to start the consumer when Kafka was not reachable at start or the
   * consumer stopped on an error (e.g. a refused login): exponential up to maxInterval,
   * jittered, never giving up; `/readyz` says why meanwhile.
   */
  reconnect: backoffConfig({ initialInterval: 1000, maxInterval: 30_000 }),
  /** A member silent this long is dropped from the group and its partitions move on. */
  sessionTimeout: duration(30_000),
  /**
   * The most one fetched record batch may inflate to; a compressed batch that would inflate
   * past it is unreadable and goes to the dead-letter topic (a decompression bomb stays small).
   */
  maxInflatedBatchBytes: byteSize(64 * 1024 ** 2),
  /**
   * A partition whose insert or dead-letter send has kept failing this long makes `/readyz`
   * answer 503 with the reason, until it moves again.
   */
  stallTimeout: duration(30_000),
});

export type KafkaReceiverConfig = z.infer<typeof kafkaReceiverConfig>;

export const deadLetterHeaders = {
  reason: 'llmp-dlq-reason',
  topic: 'llmp-dlq-topic',
  partition: 'llmp-dlq-partition',
  offset: 'llmp-dlq-offset',
} as const;

/** Offsets are int64 decimal strings. */
const next = (offset: string) => (BigInt(offset) + 1n).toString();

interface Decoded<B> {
  record: IncomingRecord;
  batch: B;
  count: number;
  projectId: string;
}

/**
 * Why a record went to the dead-letter topic (the `reason` label of the counter); the signal's
 * `invalidReason` (invalid_spans, invalid_log_records) when every item of it has invalid ids.
 */
type DeadLetterKind = 'unreadable_batch' | 'undecodable' | 'store_refused' | (string & {});

/** The `kafka` receiver as the ingester uses it: a component that can say whether it moves. */
export interface KafkaReceiver extends Component {
  /**
   * Rejects, naming the partition and the failure, while a partition has been unable to make
   * progress for `stallTimeout` or the client cannot consume; resolves otherwise (for `/readyz`).
   */
  checkProgress(): Promise<void>;
}

export interface KafkaReceiverDeps<B = TraceBatch> {
  consumer: KafkaConsumer;
  /** The signal the topic carries; traces (`otlp_spans`) when absent. */
  signal?: KafkaSignal<B>;
  /** For the dead-letter topic. */
  producer: KafkaProducer;
  /** Run before each attempt to start consuming (the hosted receiver creates missing topics there). */
  prepare?: () => Promise<void>;
  /** Test hook: called between the insert and the commit (crash-recovery tests). */
  afterInsert?: (range: { partition: number; first: string; last: string }) => void;
}

/**
 * The `kafka` receiver (ingester side): reads one signal's topic (`otlp_spans`, `otlp_logs`) in a consumer group, partition by
 * partition in order, inserts records in batches and commits offsets only after the insert
 * succeeded. Before inserting it commits the batch's offset range as metadata, so after a crash
 * the same range is rebuilt and carries the same deduplication token; ClickHouse then drops
 * the repeat. A record that can never be decoded goes to the dead-letter topic.
 * @example kafkaReceiver({ consumer, producer }, settings, kafkaReceiverConfig.parse({}), exporter)
 */
export function kafkaReceiver<B = TraceBatch>(
  deps: KafkaReceiverDeps<B>,
  settings: ComponentSettings,
  config: KafkaReceiverConfig,
  nextConsumer: Consumer<B>,
): KafkaReceiver {
  const { logger } = settings;
  const signal = deps.signal ?? (traceSignal as unknown as KafkaSignal<B>);
  const metrics = kafkaReceiverMetrics(settings.registry);
  /** Partitions whose current step keeps failing: since when, and the last failure. */
  const stalls = new Map<string, { since: number; reason: string }>();
  const partitionOf = (batch: PartitionBatch) => `${batch.topic}/${batch.partition}`;

  async function deadLetter(record: IncomingRecord, kind: DeadLetterKind, reason: string): Promise<void> {
    await deps.producer.send(config.deadLetterTopic, [
      {
        key: record.key ?? '',
        value: record.value ?? new Uint8Array(0),
        headers: {
          ...record.headers,
          [deadLetterHeaders.reason]: reason.slice(0, 1000),
          [deadLetterHeaders.topic]: record.topic,
          [deadLetterHeaders.partition]: String(record.partition),
          [deadLetterHeaders.offset]: record.offset,
        },
      },
    ]);
    metrics.ingesterDeadLettered.inc({ topic: record.topic, reason: kind });
  }

  /** Runs `action` until it succeeds, backing off on retryable failures; false when the partition was lost. */
  async function withRetry(
    batch: PartitionBatch,
    control: BatchControl,
    what: string,
    action: () => Promise<void>,
  ): Promise<'done' | { permanent: string } | 'lost'> {
    const partition = partitionOf(batch);
    const outcome = await retrying(partition, control, what, action);
    // Any outcome but another failure means the partition is no longer stuck on this step.
    stalls.delete(partition);
    return outcome;
  }

  /**
   * Runs `action` while telling the group this member is alive: an insert that outlasts the
   * session timeout would otherwise get the member evicted mid-insert, its commit refused and
   * its partitions reassigned (the client's heartbeat is throttled to its own interval).
   */
  async function heartbeating(control: BatchControl, action: () => Promise<void>): Promise<void> {
    const every = Math.max(100, Math.min(1000, Math.floor(config.sessionTimeout / 6)));
    const timer = setInterval(() => void control.heartbeat().catch(() => undefined), every);
    try {
      await action();
    } finally {
      clearInterval(timer);
    }
  }

  async function retrying(
    partition: string,
    control: BatchControl,
    what: string,
    action: () => Promise<void>,
  ): Promise<'done' | { permanent: string } | 'lost'> {
    const outcome = await retryWithBackoff(() => heartbeating(control, action), {
      policy: { ...config.retryOnFailure, enabled: true, maxElapsedTime: 0 },
      onRetry: ({ error, delayMs }) => {
        const stall = stalls.get(partition);
        const reason = `${what} failed: ${error.message}`;
        if (stall) stall.reason = reason;
        else stalls.set(partition, { since: Date.now(), reason });
        logger.warn({ err: error, retryInMs: delayMs, partition }, `${what} failed; retrying`);
      },
      // Heartbeats while waiting, and stops waiting once the partition went to another member.
      wait: async (ms) => {
        const until = Date.now() + ms;
        while (Date.now() < until && control.active()) {
          await new Promise((r) => setTimeout(r, Math.max(1, Math.min(500, until - Date.now()))));
          await control.heartbeat().catch(() => undefined);
        }
      },
      proceed: () => control.active(),
    });
    if (outcome.ok) return 'done';
    if (outcome.gaveUp === 'permanent') return { permanent: outcome.error.message };
    return 'lost';
  }

  /** Decodes a record, sending it to the dead-letter topic when that is impossible. */
  async function decode(
    batch: PartitionBatch,
    record: IncomingRecord,
    control: BatchControl,
  ): Promise<Decoded<B> | undefined | 'lost'> {
    let reason: string | undefined;
    let kind: DeadLetterKind = 'undecodable';
    let decoded: Decoded<B> | undefined;
    if (record.unreadable !== undefined) {
      // The client could not read this record's batch. Its first record carries the batch's
      // bytes and goes to the dead-letter topic once; the others hold nothing to park.
      metrics.ingesterUnreadableRecords.inc({ topic: record.topic });
      if (!record.value) return undefined;
      reason = record.unreadable;
      kind = 'unreadable_batch';
    } else if (!record.value || record.value.byteLength === 0) reason = 'empty record value';
    else {
      try {
        const projectId = record.headers[projectHeader] || 'default';
        const outcome = signal.decode(record.value, projectId);
        if ('invalid' in outcome) {
          reason = outcome.invalid;
          kind = signal.invalidReason;
        } else decoded = { record, batch: outcome.batch, count: outcome.count, projectId };
      } catch (error) {
        if (!(error instanceof OtlpDecodeError)) throw error;
        reason = error.message;
      }
    }
    if (decoded) return decoded;
    const sent = await withRetry(batch, control, 'dead-letter send', () => deadLetter(record, kind, reason!));
    return sent === 'lost' ? 'lost' : undefined;
  }

  async function insert(
    batch: PartitionBatch,
    first: string,
    last: string,
    items: Decoded<B>[],
    control: BatchControl,
  ): Promise<'done' | 'lost'> {
    const byProject = new Map<string, Decoded<B>[]>();
    for (const item of items) {
      const list = byProject.get(item.projectId);
      if (list) list.push(item);
      else byProject.set(item.projectId, [item]);
    }
    for (const [projectId, group] of byProject) {
      const merged = signal.merge(
        projectId,
        group.map((d) => d.batch),
        dedupToken(batch.topic, batch.partition, first, last, projectId),
      );
      const outcome = await withRetry(batch, control, 'insert', () => nextConsumer.consume(merged));
      if (outcome === 'lost') return 'lost';
      if (typeof outcome === 'object') {
        // The store refuses these spans for good: park their records, keep the partition moving.
        for (const d of group) {
          const sent = await withRetry(batch, control, 'dead-letter send', () =>
            deadLetter(
              d.record,
              'store_refused',
              `store refused the ${signal.unit} permanently: ${outcome.permanent}`,
            ),
          );
          if (sent === 'lost') return 'lost';
        }
      }
    }
    return 'done';
  }

  /** The partition went to another member: its lag is that member's to report now. */
  function lost(batch: PartitionBatch): void {
    stalls.delete(partitionOf(batch));
    metrics.ingesterLag.remove({ topic: batch.topic, partition: String(batch.partition) });
  }

  async function handle(batch: PartitionBatch, control: BatchControl): Promise<void> {
    const records = batch.records;
    let i = 0;
    // After a crash between an insert and its commit, rebuild exactly the pending range.
    const pending = parsePending((await control.committed())?.metadata);
    if (pending && pending.first === records[0]?.offset) {
      logger.info({ partition: batch.partition, ...pending }, 're-inserting a range whose commit was lost');
    }
    while (i < records.length && control.active()) {
      const first = records[i]!.offset;
      const mustEndAt = pending && pending.first === first ? pending.last : undefined;
      if (mustEndAt !== undefined && BigInt(records.at(-1)!.offset) < BigInt(mustEndAt)) {
        // The fetch stopped short of the pending range: wait for the rest rather than re-cut it.
        return;
      }
      // Records are decoded as the chunk is cut, so that it is bounded by the spans it holds.
      const chunk: IncomingRecord[] = [];
      const items: Decoded<B>[] = [];
      let spans = 0;
      let bytes = 0;
      for (; i < records.length; i++) {
        const record = records[i]!;
        if (mustEndAt !== undefined && BigInt(record.offset) > BigInt(mustEndAt)) break;
        if (
          mustEndAt === undefined &&
          chunk.length > 0 &&
          (spans >= config.maxBatchSpans || bytes >= config.maxBatchBytes)
        )
          break;
        const decoded = await decode(batch, record, control);
        if (decoded === 'lost') return lost(batch);
        chunk.push(record);
        bytes += record.value?.byteLength ?? 0;
        if (decoded) {
          items.push(decoded);
          spans += decoded.count;
        }
      }
      if (mustEndAt !== undefined && chunk.at(-1)!.offset !== mustEndAt) {
        // The fetch stopped short of the pending range: wait for the rest rather than re-cut it.
        return;
      }
      const last = chunk.at(-1)!.offset;
      if (items.length > 0) {
        await control.commit(first, pendingMetadata(first, last));
        if ((await insert(batch, first, last, items, control)) === 'lost') return lost(batch);
        deps.afterInsert?.({ partition: batch.partition, first, last });
      }
      await control.commit(next(last), '');
      if (batch.highWatermark !== undefined) {
        const lag = Number(BigInt(batch.highWatermark) - BigInt(next(last)));
        metrics.ingesterLag.set({ topic: batch.topic, partition: String(batch.partition) }, Math.max(0, lag));
      }
    }
  }

  /** Set while the consumer is not running (Kafka not reachable, or it stopped): why, for readiness. */
  let down: string | undefined;
  let restarting = false;
  const stopping = new AbortController();
  const reasonOf = (error: unknown) => (error as Error)?.message ?? String(error);

  async function consume(): Promise<void> {
    await deps.prepare?.();
    if (stopping.signal.aborted) return;
    await deps.consumer.run(handle, { onStopped: (error) => restartLater(reasonOf(error)) });
    // Shut down while this attempt was connecting: close what it opened.
    if (stopping.signal.aborted) return deps.consumer.close();
    down = undefined;
    logger.info({ topic: config.topic, groupId: config.groupId }, 'Kafka receiver consuming');
  }

  /**
   * Starts the consumer again after `reconnect` backoff (exponential up to its cap) until it
   * runs or the receiver stops: each attempt is counted, a changed reason logged as a warning,
   * the same one again only at debug, so a lasting failure (a revoked login) is not a warning a second.
   */
  function restartLater(
    reason: string,
    message = 'Kafka consumer stopped on an error; restarting it with backoff',
  ): void {
    if (reason !== down) logger.warn({ topic: config.topic, reason }, message);
    down = reason;
    if (restarting || stopping.signal.aborted) return;
    restarting = true;
    void (async () => {
      for (let attempt = 1; !stopping.signal.aborted; attempt++) {
        const retryInMs = backoffDelay(config.reconnect, attempt);
        logger.debug({ topic: config.topic, attempt, retryInMs }, 'restarting the Kafka consumer');
        await sleep(retryInMs, stopping.signal);
        if (stopping.signal.aborted) break;
        metrics.ingesterConsumerRestarts.inc({ topic: config.topic });
        try {
          await consume();
          break;
        } catch (error) {
          const reason = reasonOf(error);
          if (reason !== down)
            logger.warn({ topic: config.topic, reason }, 'Kafka consumer restart failed; retrying');
          down = reason;
        }
      }
      restarting = false;
    })();
  }

  return {
    async start() {
      try {
        await consume();
      } catch (error) {
        // Kafka refusing the login or the certificate is a config problem: stop at start. A
        // broker down is an outage, as for the gateway: stay up, unready, and keep trying.
        if (error instanceof KafkaAccessError) {
          // Named as a build error would be: the key to look at.
          throw new KafkaAccessError(error.kind, `receivers.${settings.id}: ${error.message}`, {
            cause: error,
          });
        }
        restartLater(reasonOf(error), 'Kafka not reachable; will consume once Kafka is reachable');
      }
    },
    async checkProgress() {
      const problem = down ?? deps.consumer.problem?.();
      if (problem !== undefined) throw new Error(`the Kafka consumer cannot consume: ${problem}`);
      const now = Date.now();
      for (const [partition, stall] of stalls) {
        const seconds = Math.round((now - stall.since) / 1000);
        if (now - stall.since >= config.stallTimeout) {
          throw new Error(`partition ${partition} has made no progress for ${seconds} s: ${stall.reason}`);
        }
      }
    },
    shutdown: onceShutdown(async () => {
      stopping.abort();
      await deps.consumer.close();
      await deps.producer.close();
      stalls.clear();
    }),
  };
}
