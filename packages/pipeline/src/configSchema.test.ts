import { describe, expect, it } from 'vitest';
import { byteSize, duration, endpoint, parseEndpoint } from './configSchema.ts';

function issueMessage(result: { success: boolean; error?: { issues: Array<{ message: string }> } }): string {
  expect(result.success).toBe(false);
  return result.error!.issues.map((issue) => issue.message).join('; ');
}

describe('duration', () => {
  const schema = duration(200);

  it.each([
    ['200ms', 200],
    ['5s', 5000],
    ['1m', 60_000],
    ['2h', 7_200_000],
    ['1.5s', 1500],
    [' 10 MS ', 10],
    ['0s', 0],
  ])('reads %j as %d ms', (text, ms) => {
    expect(schema.parse(text)).toBe(ms);
  });

  it('takes a number as milliseconds and defaults when absent', () => {
    expect(schema.parse(750)).toBe(750);
    expect(schema.parse(undefined)).toBe(200);
  });

  it('refuses text that is not a duration, saying how to write one', () => {
    expect(issueMessage(schema.safeParse('5 parsecs'))).toBe(
      '"5 parsecs" is not a duration (use e.g. 200ms, 5s, 1m)',
    );
    expect(issueMessage(schema.safeParse('5'))).toContain('"5" is not a duration');
    expect(issueMessage(schema.safeParse('-5s'))).toContain('is not a duration');
    expect(issueMessage(schema.safeParse('1d'))).toContain('is not a duration');
  });

  it('refuses negative numbers and other types', () => {
    expect(schema.safeParse(-1).success).toBe(false);
    expect(schema.safeParse(true).success).toBe(false);
  });
});

describe('byteSize', () => {
  const schema = byteSize(1024);

  it.each([
    ['20MiB', 20 * 1024 ** 2],
    ['512KiB', 512 * 1024],
    ['1GiB', 1024 ** 3],
    ['4MB', 4_000_000],
    ['1kb', 1000],
    ['3GB', 3_000_000_000],
    ['10b', 10],
    ['1.5KiB', 1536],
    [' 2 mib ', 2 * 1024 ** 2],
  ])('reads %j as %d bytes', (text, bytes) => {
    expect(schema.parse(text)).toBe(bytes);
  });

  it('takes a number as bytes and defaults when absent', () => {
    expect(schema.parse(4096)).toBe(4096);
    expect(schema.parse(undefined)).toBe(1024);
  });

  it('refuses text that is not a size, saying how to write one', () => {
    expect(issueMessage(schema.safeParse('lots'))).toBe('"lots" is not a size (use e.g. 4MiB, 512KiB)');
    expect(issueMessage(schema.safeParse('20'))).toContain('"20" is not a size');
    expect(issueMessage(schema.safeParse('1TiB'))).toContain('is not a size');
  });

  it('refuses fractional and negative numbers', () => {
    expect(schema.safeParse(1.5).success).toBe(false);
    expect(schema.safeParse(-1).success).toBe(false);
  });
});

describe('endpoint / parseEndpoint', () => {
  it('accepts host:port forms and refuses others', () => {
    const schema = endpoint('0.0.0.0:4317');
    expect(schema.parse(undefined)).toBe('0.0.0.0:4317');
    for (const ok of ['localhost:4318', ':4318', '[::1]:0', '127.0.0.1:0']) expect(schema.parse(ok)).toBe(ok);
    for (const bad of ['nowhere', 'host:', 'host:port', '::1:4317'])
      expect(schema.safeParse(bad).success).toBe(false);
  });

  it('splits host and port, with brackets removed and an empty host meaning all interfaces', () => {
    expect(parseEndpoint('localhost:4318')).toEqual({ host: 'localhost', port: 4318 });
    expect(parseEndpoint('[::1]:4317')).toEqual({ host: '::1', port: 4317 });
    expect(parseEndpoint(':0')).toEqual({ host: '0.0.0.0', port: 0 });
  });
});
