/** Header a placeholder record carries, with the reason its batch could not be read. */
export const unreadableHeader = 'llmp-unreadable-batch';

/** Signed zigzag base-128 varint, as Kafka record fields are encoded. */
function varint(value: number): number[] {
  let v = value >= 0 ? value * 2 : -value * 2 - 1;
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

function sized(bytes: Buffer | null): Buffer[] {
  return bytes === null ? [Buffer.from(varint(-1))] : [Buffer.from(varint(bytes.length)), bytes];
}

/** One record (Kafka protocol, "Record"): no key, timestamp delta 0, one header. */
function record(offsetDelta: number, value: Buffer | null, reason: Buffer): Buffer {
  const name = Buffer.from(unreadableHeader);
  const body = Buffer.concat([
    Buffer.from([0, ...varint(0), ...varint(offsetDelta)]),
    ...sized(null),
    ...sized(value),
    Buffer.from(varint(1)),
    ...sized(name),
    ...sized(reason),
  ]);
  return Buffer.concat([Buffer.from(varint(body.length)), body]);
}

/**
 * The records section standing in for a batch that cannot be decompressed: `count` records,
 * the last at `lastOffsetDelta` so that committing past it skips the whole batch, each with the
 * `llmp-unreadable-batch` header; the first holds the batch's original (compressed) bytes.
 * @example unreadableRecords({ count: 3, lastOffsetDelta: 2, bytes, reason: 'lz4: bad frame' })
 */
export function unreadableRecords({
  count,
  lastOffsetDelta,
  bytes,
  reason,
}: {
  count: number;
  lastOffsetDelta: number;
  bytes: Buffer;
  reason: string;
}): Buffer {
  const why = Buffer.from(reason.slice(0, 1000));
  const records: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const offsetDelta = i === count - 1 ? lastOffsetDelta : Math.min(i, lastOffsetDelta);
    records.push(record(offsetDelta, i === 0 ? bytes : null, why));
  }
  return Buffer.concat(records);
}
