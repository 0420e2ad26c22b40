import { describe, expect, it } from 'vitest';
import { decodedBytesPerMessage, jsonDecodedBytesEstimate } from './valueLimits.ts';

const estimate = (text: string) => jsonDecodedBytesEstimate(Buffer.from(text));
const containersIn = (text: string) => (estimate(text) - Buffer.byteLength(text)) / decodedBytesPerMessage;

describe('jsonDecodedBytesEstimate', () => {
  it('counts every object and array outside strings', () => {
    expect(containersIn('{"a":[1,2,{"b":[]}]}')).toBe(4);
    expect(containersIn(`[${'{"intValue":"1"},'.repeat(999)}{"intValue":"1"}]`)).toBe(1001);
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    // GenAI messages often travel as JSON text inside a string value.
    expect(containersIn('{"stringValue":"[{\\"role\\":\\"user\\"},{}]"}')).toBe(1);
    expect(containersIn('{"s":"a\\\\"}')).toBe(1);
    expect(containersIn('{"s":"\\\\\\"[{"}')).toBe(1);
  });
});
