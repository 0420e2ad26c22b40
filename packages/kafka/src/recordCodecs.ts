import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { lz4Compress, lz4Decompress, snappyCompress, snappyDecompress } from '@platformatic/wasm-utils';

/** The compression codecs of the Kafka record batch format (attributes bits 0-2). */
export const compressionCodecs = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type CompressionCodec = (typeof compressionCodecs)[number];

/** A batch whose records cannot be decompressed: corrupt, or over the size bound. */
export class UnreadableBatchError extends Error {
  readonly codec: CompressionCodec;
  constructor(codec: CompressionCodec, message: string, options?: { cause?: unknown }) {
    super(`${codec}: ${message}`, options);
    this.name = 'UnreadableBatchError';
    this.codec = codec;
  }
}

const gunzip = promisify(zlib.gunzip);
const zstdDecompress = promisify(zlib.zstdDecompress);
const gzip = promisify(zlib.gzip);
const zstdCompress = promisify(zlib.zstdCompress);

// The Java client's snappy framing (xerial SnappyOutputStream): a 16-byte header, then chunks of
// int32 length + a raw snappy block. Without the header the bytes are one raw block.
const xerialMagic = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const xerialHeaderBytes = 16;

/** A raw snappy block starts with its uncompressed length as a little-endian base-128 varint. */
function snappyLength(block: Buffer): number {
  let length = 0;
  for (let i = 0, shift = 0; i < 5 && i < block.length; i++, shift += 7) {
    length += (block[i]! & 0x7f) * 2 ** shift;
    if ((block[i]! & 0x80) === 0) return length;
  }
  throw new Error('bad snappy length preamble');
}

function snappyRecords(data: Buffer, maxBytes: number): Buffer {
  const blocks: Buffer[] = [];
  if (data.length >= xerialHeaderBytes && data.subarray(0, xerialMagic.length).equals(xerialMagic)) {
    for (let at = xerialHeaderBytes; at < data.length; ) {
      if (at + 4 > data.length) throw new Error('truncated xerial chunk length');
      const size = data.readUInt32BE(at);
      at += 4;
      if (at + size > data.length) throw new Error('truncated xerial chunk');
      blocks.push(data.subarray(at, at + size));
      at += size;
    }
  } else blocks.push(data);
  // Each block states its size: refuse a bomb before inflating it.
  const total = blocks.reduce((n, b) => n + snappyLength(b), 0);
  if (total > maxBytes) throw new Error(`records inflate to ${total} bytes, over ${maxBytes}`);
  const parts = blocks.map((b) => snappyDecompress(b));
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

const lz4Magic = 0x184d2204;
const lz4BlockMax: Record<number, number> = { 4: 64 * 1024, 5: 256 * 1024, 6: 1024 ** 2, 7: 4 * 1024 ** 2 };

/**
 * The most an LZ4 frame (the format Kafka uses) can inflate to: its block count times its block
 * maximum, read from the frame and block headers without decompressing anything.
 */
function lz4Bound(data: Buffer): number {
  if (data.length < 7 || data.readUInt32LE(0) !== lz4Magic) throw new Error('not an LZ4 frame');
  const flags = data[4]!;
  const blockMax = lz4BlockMax[(data[5]! >> 4) & 0x07];
  if (blockMax === undefined) throw new Error('bad LZ4 block size');
  if ((flags & 0x08) !== 0 && data.length >= 14) {
    // The frame states its content size.
    return Number(data.readBigUInt64LE(6));
  }
  let at = 6 + ((flags & 0x08) !== 0 ? 8 : 0) + ((flags & 0x01) !== 0 ? 4 : 0) + 1;
  const blockChecksum = (flags & 0x10) !== 0 ? 4 : 0;
  let blocks = 0;
  for (;;) {
    if (at + 4 > data.length) throw new Error('truncated LZ4 frame');
    const size = data.readUInt32LE(at) & 0x7fffffff;
    at += 4;
    if (size === 0) break;
    at += size + blockChecksum;
    blocks++;
  }
  return blocks * blockMax;
}

/**
 * Inflates the records section of a compressed Kafka record batch, refusing one that would
 * inflate past `maxBytes` (decided from headers where the codec states sizes, else by zlib's
 * own output bound), so a small batch cannot take the process's memory.
 * @throws UnreadableBatchError when the bytes are not valid for the codec or too large.
 * @example const records = await decompressRecords('lz4', compressed, 64 * 1024 ** 2);
 */
export async function decompressRecords(
  codec: CompressionCodec,
  data: Buffer,
  maxBytes: number,
): Promise<Buffer> {
  try {
    switch (codec) {
      case 'none':
        return data;
      case 'gzip':
        return await gunzip(data, { maxOutputLength: maxBytes });
      case 'zstd':
        return await zstdDecompress(data, { maxOutputLength: maxBytes });
      case 'snappy':
        return snappyRecords(data, maxBytes);
      case 'lz4': {
        const bound = lz4Bound(data);
        if (bound > maxBytes) throw new Error(`records may inflate to ${bound} bytes, over ${maxBytes}`);
        return lz4Decompress(data);
      }
    }
  } catch (error) {
    throw new UnreadableBatchError(codec, (error as Error).message, { cause: error });
  }
}

/**
 * Compresses the records section of a batch as the Java client does (snappy raw blocks are
 * read by every client; LZ4 as a frame).
 * @example const compressed = await compressRecords('zstd', records);
 */
export async function compressRecords(codec: CompressionCodec, data: Buffer): Promise<Buffer> {
  switch (codec) {
    case 'none':
      return data;
    case 'gzip':
      return gzip(data);
    case 'zstd':
      return zstdCompress(data);
    case 'snappy':
      return snappyCompress(data);
    case 'lz4':
      return lz4Compress(data);
  }
}
