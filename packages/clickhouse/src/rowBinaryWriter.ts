const maxUInt64 = 2n ** 64n - 1n;

/**
 * Appends values in ClickHouse's RowBinary encoding (little-endian numbers, LEB128 lengths) to
 * one growing buffer, so a batch of rows becomes one payload without per-row strings.
 * @example const w = rowBinaryWriter(); w.string('a'); w.uint32(7); const bytes = w.bytes();
 */
export function rowBinaryWriter(initialBytes = 64 * 1024) {
  let buf = Buffer.allocUnsafe(initialBytes);
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
      // At most 3 bytes per UTF-16 unit: short strings skip measuring and patch a 1-byte length.
      if (s.length * 3 < 0x80) {
        reserve(1 + s.length * 3);
        const start = at++;
        at += buf.write(s, at);
        buf[start] = at - start - 1;
        return;
      }
      const n = Buffer.byteLength(s);
      varUInt(n);
      reserve(n);
      at += buf.write(s, at, n);
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
      buf.writeBigUInt64LE(n < 0n ? 0n : n > maxUInt64 ? maxUInt64 : n, at);
      at += 8;
    },
    /** UInt64 from a count held as a number (negative or not a number: 0). */
    uint64Count(n: number): void {
      reserve(8);
      buf.writeBigUInt64LE(n >= 1 ? BigInt(Math.min(Math.trunc(n), Number.MAX_SAFE_INTEGER)) : 0n, at);
      at += 8;
    },
    int64(n: bigint): void {
      reserve(8);
      buf.writeBigInt64LE(n, at);
      at += 8;
    },
    float64(n: number): void {
      reserve(8);
      buf.writeDoubleLE(n, at);
      at += 8;
    },
    /** The encoded bytes so far (a view, not a copy). */
    bytes(): Buffer {
      return buf.subarray(0, at);
    },
  };
}

export type RowBinaryWriter = ReturnType<typeof rowBinaryWriter>;
