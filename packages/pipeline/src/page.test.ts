import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { cursorCodec } from './page.ts';

const codec = cursorCodec(z.tuple([z.number().int(), z.string()]));
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('cursorCodec', () => {
  it('gives back what it encoded, as base64url text', () => {
    const text = codec.encode([1700000000000, 'job-1']);
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(codec.decode(text)).toEqual([1700000000000, 'job-1']);
  });

  it.each([
    ['not base64 JSON', 'not-a-cursor'],
    ['an unversioned cursor', b64([1, 'a'])],
    ['another version', b64({ v: 2, c: [1, 'a'] })],
    ['a tampered value', b64({ v: 1, c: ['1', 'a'] })],
    ['an extra field', b64({ v: 1, c: [1, 'a'], x: 1 })],
    ['a JSON null', b64(null)],
  ])('refuses %s', (_name, text) => {
    expect(codec.decode(text)).toBeUndefined();
  });
});
