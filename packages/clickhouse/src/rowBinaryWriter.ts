const maxUInt64 = 2n ** 64n - 1n;

/** Bytes of `n` in LEB128 (7 bits a byte). */
const varUIntSize = (n: number) =>
  n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x20_0000 ? 3 : n < 0x1000_0000 ? 4 : n < 2 ** 35 ? 5 : 6;

/**
 * 8 bytes seen as one 64-bit and two 32-bit integers: a number goes in through a typed array and
 * out as bytes, cheaper per span than Buffer#writeBigInt64LE's checks (issue 21). Little-endian
 * like RowBinary on every platform Node and chdb run on (x64, arm64).
 */
const scratch = new ArrayBuffer(8);
const scratch64 = new BigUint64Array(scratch);
const scratch32 = new Uint32Array(scratch);
const scratchFloat = new Float64Array(scratch);

/** Strings shorter than this are tried as ASCII first (one-byte length prefix). */
const shortString = 64;

/**
 * Appends values in ClickHouse's RowBinary encoding (little-endian numbers, LEB128 lengths) to
 * one growing buffer, so a batch of rows becomes one payload without per-row strings. `room` is
 * the bytes to start with, or a buffer to write into from its start (one an earlier payload is
 * done with: reused, it spares allocating and faulting in pages per insert).
 * @example const w = rowBinaryWriter(); w.string('a'); w.uint32(7); const bytes = w.bytes();
 */
export function rowBinaryWriter(room: number | Buffer = 64 * 1024) {
  let buf = typeof room === 'number' ? Buffer.allocUnsafe(Math.max(room, 16)) : room;
  let at = 0;

  function reserve(n: number): void {
    if (at + n <= buf.length) return;
    let size = buf.length * 2;
    while (size < at + n) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    buf.copy(grown, 0, 0, at);
    buf = grown;
  }

  function varUInt(n: number): void {
    reserve(10);
    putVarUInt(n);
  }

  /** The 8 scratch bytes, as two 32-bit words, into room already reserved (cheaper than Buffer#set). */
  function putScratch(): void {
    const low = scratch32[0]!;
    const high = scratch32[1]!;
    buf[at] = low;
    buf[at + 1] = low >>> 8;
    buf[at + 2] = low >>> 16;
    buf[at + 3] = low >>> 24;
    buf[at + 4] = high;
    buf[at + 5] = high >>> 8;
    buf[at + 6] = high >>> 16;
    buf[at + 7] = high >>> 24;
    at += 8;
  }

  /** LEB128 into room already reserved. */
  function putVarUInt(n: number): void {
    while (n >= 0x80) {
      buf[at++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 128);
    }
    buf[at++] = n;
  }

  return {
    /** LEB128 length prefix of strings, arrays and maps. */
    varUInt,
    /** String: UTF-8 bytes after their length. */
    string(s: string): void {
      const length = s.length;
      if (length === 0) {
        reserve(1);
        buf[at++] = 0;
        return;
      }
      // Most span columns are empty or short ASCII (ids, names, enum texts, keys): copied unit by
      // unit they skip Buffer#write's call into C++, which cost more than the copy (issue 21).
      if (length < shortString) {
        reserve(length + 1);
        let i = 0;
        for (; i < length; i++) {
          const unit = s.charCodeAt(i);
          if (unit > 0x7f) break;
          buf[at + 1 + i] = unit;
        }
        if (i === length) {
          buf[at] = length;
          at += length + 1;
          return;
        }
      }
      // At most 3 bytes per UTF-16 unit: the bytes go after room for the longest length prefix
      // they can need, and move back when a shorter one does (a 1-byte-prefixed string of 43 to
      // 127 units); measuring them first would read every long prompt twice.
      const most = s.length * 3;
      const room = varUIntSize(most);
      reserve(room + most);
      const n = buf.write(s, at + room);
      const prefix = varUIntSize(n);
      if (prefix < room) buf.copyWithin(at + prefix, at + room, at + room + n);
      putVarUInt(n);
      at += n;
    },
    uint8(n: number): void {
      reserve(1);
      buf[at++] = n;
    },
    uint32(n: number): void {
      reserve(4);
      buf.writeUInt32LE(n >>> 0, at);
      at += 4;
    },
    /** UInt64 from a bigint, clamped to its range. */
    uint64(n: bigint): void {
      reserve(8);
      scratch64[0] = n < 0n ? 0n : n > maxUInt64 ? maxUInt64 : n;
      putScratch();
    },
    /** UInt64 from a count held as a number (negative or not a number: 0), without a bigint. */
    uint64Count(n: number): void {
      reserve(8);
      const count = n >= 1 ? Math.min(Math.trunc(n), Number.MAX_SAFE_INTEGER) : 0;
      const low = count % 0x1_0000_0000;
      scratch32[0] = low;
      scratch32[1] = (count - low) / 0x1_0000_0000;
      putScratch();
    },
    int64(n: bigint): void {
      reserve(8);
      scratch64[0] = BigInt.asUintN(64, n);
      putScratch();
    },
    float64(n: number): void {
      reserve(8);
      // Buffer#writeDoubleLE goes through a Float64Array too (NaN bits alike), with checks.
      scratchFloat[0] = n;
      putScratch();
    },
    /** Where the next value goes: with `repeat`, bytes written once can be written again. */
    offset(): number {
      return at;
    },
    /** Appends again the bytes written from `start` to `end` (offsets from `offset()`). */
    repeat(start: number, end: number): void {
      const n = end - start;
      reserve(n);
      // A few dozen bytes (a span's empty GenAI columns) copy faster in a loop than natively.
      if (n <= 64) for (let i = 0; i < n; i++) buf[at + i] = buf[start + i]!;
      else buf.copyWithin(at, start, end);
      at += n;
    },
    /** The encoded bytes so far (a view, not a copy). */
    bytes(): Buffer {
      return buf.subarray(0, at);
    },
    /** The whole buffer written into (the last one, when it grew): to write the next payload into. */
    buffer(): Buffer {
      return buf;
    },
  };
}

export type RowBinaryWriter = ReturnType<typeof rowBinaryWriter>;
