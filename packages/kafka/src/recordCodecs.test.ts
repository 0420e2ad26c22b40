import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  compressionCodecs,
  compressRecords,
  decompressRecords,
  UnreadableBatchError,
} from './recordCodecs.ts';

const records = Buffer.concat([Buffer.from('gen_ai.usage.input_tokens '.repeat(200)), randomBytes(300)]);

describe('decompressRecords', () => {
  it.each(compressionCodecs)('reads back what %s compressed', async (codec) => {
    const compressed = await compressRecords(codec, records);
    expect(await decompressRecords(codec, compressed, 1024 ** 2)).toEqual(records);
  });

  it.each(compressionCodecs.filter((c) => c !== 'none'))(
    'refuses %s records that would inflate past the bound, as unreadable',
    async (codec) => {
      const zeros = Buffer.alloc(4 * 1024 ** 2);
      const compressed = await compressRecords(codec, zeros);
      expect(compressed.length).toBeLessThan(1024 ** 2);
      const outcome = decompressRecords(codec, compressed, 1024 ** 2);
      await expect(outcome).rejects.toBeInstanceOf(UnreadableBatchError);
      await expect(outcome).rejects.toMatchObject({ codec });
    },
  );

  it.each(compressionCodecs.filter((c) => c !== 'none'))(
    'calls corrupt %s bytes unreadable',
    async (codec) => {
      const compressed = await compressRecords(codec, records);
      const corrupt = Buffer.from(compressed.subarray(0, Math.floor(compressed.length / 2)));
      await expect(decompressRecords(codec, corrupt, 1024 ** 2)).rejects.toBeInstanceOf(UnreadableBatchError);
    },
  );

  it('reads the Java client snappy framing (xerial chunks)', async () => {
    const chunks = [records.subarray(0, 1000), records.subarray(1000)];
    const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0, 0, 0, 0, 1, 0, 0, 0, 1]);
    const framed: Buffer[] = [header];
    for (const chunk of chunks) {
      const block = await compressRecords('snappy', Buffer.from(chunk));
      const size = Buffer.alloc(4);
      size.writeUInt32BE(block.length);
      framed.push(size, block);
    }
    expect(await decompressRecords('snappy', Buffer.concat(framed), 1024 ** 2)).toEqual(records);
  });
});
