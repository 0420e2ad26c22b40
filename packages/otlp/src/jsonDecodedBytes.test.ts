import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { decodeJsonRequest } from './decodeJson.ts';
import { jsonDecodedBytesEstimate, jsonDecodedBytesPerContainer } from './valueLimits.ts';

const estimate = (text: string) => jsonDecodedBytesEstimate(Buffer.from(text));
const containersIn = (text: string) =>
  (estimate(text) - Buffer.byteLength(text)) / jsonDecodedBytesPerContainer;

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

/** Heap a value keeps alive, measured around a full collection (V8's gc, exposed for the test). */
function heapOf<T>(make: () => T): { value: T; bytes: number } {
  collect();
  const before = process.memoryUsage().heapUsed;
  const value = make();
  collect();
  return { value, bytes: process.memoryUsage().heapUsed - before };
}
const collect = (() => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  return () => {
    gc();
    gc();
  };
})();

describe('jsonDecodedBytesEstimate against the heap', () => {
  // While decodeJsonRequest builds the model, the body's text and JSON.parse's tree are alive
  // with it: the estimate must cover all three (issue 16, item 3: it counted 80 B per object).
  it.each([
    ['20 000 spans of 4 attributes', spansBody(20_000, 4)],
    ['2 000 spans of 60 attributes', spansBody(2_000, 60)],
  ])('covers the text, the parsed tree and the decoded model of %s', (_name, body) => {
    const measured: number[] = [];
    for (let round = 0; round < 3; round++) {
      const text = heapOf(() => body.toString('utf8'));
      const tree = heapOf(() => JSON.parse(text.value) as unknown);
      const model = heapOf(() => decodeJsonRequest(body));
      measured.push(text.bytes + tree.bytes + model.bytes);
    }
    const median = measured.sort((a, b) => a - b)[1]!;
    expect(median).toBeLessThanOrEqual(jsonDecodedBytesEstimate(body));
    // and not wildly above it: the estimate holds room in the in-flight budget for others.
    expect(jsonDecodedBytesEstimate(body)).toBeLessThan(median * 1.6);
  });
});

function spansBody(spans: number, attributes: number): Buffer {
  const span = (i: number) => ({
    traceId: `${'a'.repeat(30)}${String(i % 100).padStart(2, '0')}`,
    spanId: `${'b'.repeat(14)}${String(i % 100).padStart(2, '0')}`,
    name: `span ${i}`,
    kind: 1,
    startTimeUnixNano: '1700000000000000000',
    endTimeUnixNano: '1700000000100000000',
    attributes: Array.from({ length: attributes }, (_, k) => ({
      key: `attr.${k}`,
      value: k % 2 ? { stringValue: `value-${i}-${k}` } : { intValue: String(i * k) },
    })),
  });
  const resource = { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] };
  const request = {
    resourceSpans: [
      {
        resource,
        scopeSpans: [{ scope: { name: 's' }, spans: Array.from({ length: spans }, (_, i) => span(i)) }],
      },
    ],
  };
  return Buffer.from(JSON.stringify(request));
}
