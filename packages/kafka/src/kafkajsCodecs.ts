import { crc32c } from '@platformatic/wasm-utils';
// Node's ESM loader does not see these two among kafkajs' CommonJS named exports: take them
// from the module object.
import kafkajs from 'kafkajs';
import { type CompressionCodec, compressRecords, decompressRecords } from './recordCodecs.ts';
import { unreadableRecords } from './unreadableRecords.ts';

const { CompressionCodecs, CompressionTypes } = kafkajs;

const typeOf: Record<Exclude<CompressionCodec, 'none'>, kafkajs.CompressionTypes> = {
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};

/** kafkajs' codec type for a codec name. */
export function kafkajsCompression(codec: CompressionCodec): kafkajs.CompressionTypes {
  return codec === 'none' ? CompressionTypes.None : typeOf[codec];
}

// Record batch v2 header (Kafka protocol, "Record Batch"): baseOffset int64, batchLength int32,
// partitionLeaderEpoch int32, magic int8, crc uint32, attributes int16, lastOffsetDelta int32,
// baseTimestamp int64, maxTimestamp int64, producerId int64, producerEpoch int16,
// baseSequence int32, records count int32; then the (compressed) records.
const headerBytes = 61;
const crcFrom = 21;

interface BatchHeader {
  baseOffset: bigint;
  lastOffsetDelta: number;
  count: number;
}

/**
 * kafkajs hands a codec the records section only, as a view into the fetch response: the batch
 * header sits just before it. Read it back, and trust it only if it is the header of these very
 * bytes (magic 2, this codec, the batch length, and the batch's CRC-32C over both).
 */
function headerBefore(records: Buffer, type: kafkajs.CompressionTypes): BatchHeader | undefined {
  if (records.byteOffset < headerBytes) return undefined;
  const header = Buffer.from(records.buffer, records.byteOffset - headerBytes, headerBytes);
  if (header.readInt8(16) !== 2) return undefined;
  if ((header.readInt16BE(21) & 0x07) !== type) return undefined;
  if (header.readInt32BE(8) !== headerBytes - 12 + records.length) return undefined;
  const covered = Buffer.concat([header.subarray(crcFrom), records]);
  if (crc32c(covered) >>> 0 !== header.readUInt32BE(17)) return undefined;
  return {
    baseOffset: header.readBigInt64BE(0),
    lastOffsetDelta: header.readInt32BE(23),
    count: header.readInt32BE(57),
  };
}

/**
 * Teaches kafkajs (which reads only gzip) every Kafka codec: snappy and LZ4 through the WASM
 * codecs shipped inside @platformatic/wasm-utils, zstd through node:zlib. A batch that still
 * cannot be read (corrupt, or inflating past `maxBatchBytes`) is handed on as placeholder
 * records marked unreadable, the first carrying the compressed bytes, so the ingester
 * dead-letters it and the partition moves on instead of failing every fetch. kafkajs keeps its
 * codecs in one module-wide table, so this applies to every kafkajs client of the process.
 * @example registerKafkajsCodecs({ maxBatchBytes: 64 * 1024 ** 2 });
 */
export function registerKafkajsCodecs({
  maxBatchBytes = 64 * 1024 ** 2,
  decompress = decompressRecords,
}: {
  maxBatchBytes?: number;
  /** Test hook: stands in for a client that cannot read a codec. */
  decompress?: typeof decompressRecords;
} = {}): void {
  for (const [codec, type] of Object.entries(typeOf) as [Exclude<CompressionCodec, 'none'>, number][]) {
    const implementation = {
      compress: (encoder: { buffer: Buffer }) => compressRecords(codec, encoder.buffer),
      async decompress(records: Buffer): Promise<Buffer> {
        try {
          return await decompress(codec, records, maxBatchBytes);
        } catch (error) {
          const header = headerBefore(records, type);
          if (!header) throw error;
          const first = header.baseOffset;
          const last = first + BigInt(header.lastOffsetDelta);
          return unreadableRecords({
            count: header.count,
            lastOffsetDelta: header.lastOffsetDelta,
            bytes: records,
            reason: `record batch of offsets ${first}-${last} could not be decompressed (${(error as Error).message})`,
          });
        }
      },
    };
    (CompressionCodecs as Record<number, () => unknown>)[type] = () => implementation;
  }
}
