import { describe, expect, it } from 'vitest';
import {
  jsonDecodedBodyCopies,
  jsonDecodedBytesEstimate,
  jsonDecodedBytesPerContainer,
} from './valueLimits.ts';

const estimate = (text: string) => jsonDecodedBytesEstimate(Buffer.from(text));
const containersIn = (text: string) =>
  (estimate(text) - jsonDecodedBodyCopies * Buffer.byteLength(text)) / jsonDecodedBytesPerContainer;

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

  it('is no less than the heap measured while decoding each shape of body', () => {
    // Measured with Node 24 (docs/benchmarks.md, "OTLP/JSON decoded size"): the body's Buffer
    // plus the JSON.parse tree and the decoded model alive at once, per object or array.
    const kv = (i: number) => `{"key":"k${i}","value":{"stringValue":"v${i}"}}`;
    const span = (i: number, attributes: string) =>
      `{"traceId":"0123456789abcdef0123456789abcdef","spanId":"0123456789abcdef","name":"span ${i}","kind":1,"startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000100000000","attributes":[${attributes}],"status":{}}`;
    const request = (spans: string[]) =>
      `{"resourceSpans":[{"resource":{"attributes":[]},"scopeSpans":[{"scope":{"name":"s"},"spans":[${spans.join(',')}]}]}]}`;
    const range = (n: number) => Array.from({ length: n }, (_, i) => i);
    const measured = [
      { body: request(range(1000).map((i) => span(i, ''))), bytesPerContainer: 276 },
      { body: request(range(100).map((i) => span(i, range(8).map(kv).join(',')))), bytesPerContainer: 142 },
      {
        body: request([
          span(
            0,
            `{"key":"a","value":{"arrayValue":{"values":[${range(10_000)
              .map((i) => `{"intValue":"${i}"}`)
              .join(',')}]}}}`,
          ),
        ]),
        bytesPerContainer: 136,
      },
    ];
    for (const { body, bytesPerContainer } of measured) {
      const containers = containersIn(body);
      expect(estimate(body)).toBeGreaterThanOrEqual(Buffer.byteLength(body) + containers * bytesPerContainer);
    }
  });
});
