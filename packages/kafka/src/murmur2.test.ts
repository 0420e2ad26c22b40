import { randomBytes } from 'node:crypto';
import { murmur2 as platformaticMurmur2 } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { murmur2 } from './murmur2.ts';

describe('murmur2', () => {
  it("matches the Java client's values (kafka-clients UtilsTest)", () => {
    // Expected values from Apache Kafka's own test of Utils.murmur2.
    const cases: Array<[string, number]> = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ];
    for (const [key, hash] of cases) expect(murmur2(Buffer.from(key)), key).toBe(hash);
  });

  it("agrees with @platformatic/kafka's BigInt implementation on every length", () => {
    for (let length = 0; length < 200; length++) {
      const key = randomBytes(length);
      expect(murmur2(key), key.toString('hex')).toBe(platformaticMurmur2(key));
    }
    for (let i = 0; i < 500; i++) {
      const key = Buffer.from(randomBytes(16).toString('hex'));
      expect(murmur2(key)).toBe(platformaticMurmur2(key));
    }
  });
});
