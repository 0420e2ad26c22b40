import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The compression a record batch's attributes name (bits 0–2), in the Kafka protocol's order. */
const codecs = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

/**
 * The compression codec of every record batch of a partition, read from the broker's segment
 * files: a broker stores a producer's batches as they came (the v2 record batch: baseOffset
 * int64, batchLength int32, partitionLeaderEpoch int32, magic int8, crc uint32, attributes int16 …),
 * so this is what the producer really sent, which no consumer shows (it decompresses).
 * @example expect(recordBatchCodecs(kafka.logDir, topic)).toEqual(['lz4']);
 */
export function recordBatchCodecs(logDir: string, topic: string, partition = 0): string[] {
  const dir = join(logDir, `${topic}-${partition}`);
  const found: string[] = [];
  for (const file of readdirSync(dir)
    .filter((name) => name.endsWith('.log'))
    .sort()) {
    const segment = readFileSync(join(dir, file));
    for (let at = 0; at + 23 <= segment.length; ) {
      const batchLength = segment.readInt32BE(at + 8);
      if (batchLength <= 0) break; // the preallocated, unwritten tail of a segment
      if (segment.readInt8(at + 16) !== 2) throw new Error(`${file}@${at}: not a v2 record batch`);
      found.push(codecs[segment.readInt16BE(at + 21) & 0x7] ?? 'unknown');
      at += 12 + batchLength;
    }
  }
  return found;
}
