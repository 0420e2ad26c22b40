import { describe, expect, it } from 'vitest';
import { encodeProtobufRequest } from './encodeProtobuf.ts';
import { maxStorableNanos, rejectInvalidSpans } from './rejectInvalidSpans.ts';
import { screenProtobufRequest } from './screenProtobufRequest.ts';
import { testRequest, testSpan } from './testing/traceFixtures.ts';

const t0 = 1_700_000_000_000_000_000n;
const spans = [
  testSpan({ name: 'fine', spanId: '1'.repeat(16), startTimeUnixNano: t0, endTimeUnixNano: t0 + 5n }),
  testSpan({ name: 'same instant', spanId: '2'.repeat(16), startTimeUnixNano: t0, endTimeUnixNano: t0 }),
  testSpan({
    name: 'after 2262',
    spanId: '3'.repeat(16),
    startTimeUnixNano: maxStorableNanos + 1n,
    endTimeUnixNano: maxStorableNanos + 2n,
  }),
  testSpan({
    name: 'ends past 2262',
    spanId: '4'.repeat(16),
    startTimeUnixNano: t0,
    endTimeUnixNano: 2n ** 64n - 1n,
  }),
  testSpan({
    name: 'ends before it starts',
    spanId: '5'.repeat(16),
    startTimeUnixNano: t0,
    endTimeUnixNano: t0 - 1n,
  }),
  testSpan({
    name: 'last storable instant',
    spanId: '6'.repeat(16),
    startTimeUnixNano: maxStorableNanos,
    endTimeUnixNano: maxStorableNanos,
  }),
];

describe('span times the store cannot hold as sent', () => {
  it('are refused one by one with a message (partial success), never clamped, in OTLP/JSON', () => {
    const screening = rejectInvalidSpans(testRequest(spans));
    expect(screening.acceptedSpans).toBe(3);
    expect(screening.rejectedSpans).toBe(3);
    expect(screening.errorMessage).toContain('span "after 2262": time past 2262-04-11T23:47:16.854775807Z');
    expect(screening.errorMessage).toContain('span "ends before it starts": end time');
    const kept = screening.accepted.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
    expect(kept.map((s) => s.name)).toEqual(['fine', 'same instant', 'last storable instant']);
  });

  it('are refused one by one with the same message in OTLP/protobuf', () => {
    const screening = screenProtobufRequest(encodeProtobufRequest(testRequest(spans)));
    expect(screening.acceptedSpans).toBe(3);
    expect(screening.rejectedSpans).toBe(3);
    expect(screening.errorMessage).toContain('span "after 2262": time past 2262-04-11T23:47:16.854775807Z');
  });
});

const event = (name: string, timeUnixNano: bigint) => ({
  name,
  timeUnixNano,
  attributes: [],
  droppedAttributesCount: 0,
});
const eventSpans = [
  testSpan({
    name: 'event at the last instant',
    spanId: '7'.repeat(16),
    startTimeUnixNano: t0,
    endTimeUnixNano: t0 + 5n,
    events: [event('ok', t0 + 1n), event('edge', maxStorableNanos)],
  }),
  testSpan({
    name: 'event past 2262',
    spanId: '8'.repeat(16),
    startTimeUnixNano: t0,
    endTimeUnixNano: t0 + 5n,
    events: [event('ok', t0 + 1n), event('far', maxStorableNanos + 1n)],
  }),
];

describe('span event times the store cannot hold as sent', () => {
  it('refuse their span with a message in OTLP/JSON, never clamped', () => {
    const screening = rejectInvalidSpans(testRequest(eventSpans));
    expect(screening.acceptedSpans).toBe(1);
    expect(screening.errorMessage).toContain('span "event past 2262": event "far" time past 2262-04-11');
  });

  it('refuse their span with the same message in OTLP/protobuf', () => {
    const screening = screenProtobufRequest(encodeProtobufRequest(testRequest(eventSpans)));
    expect(screening.acceptedSpans).toBe(1);
    expect(screening.rejectedSpans).toBe(1);
    expect(screening.errorMessage).toContain('span "event past 2262": event "far" time past 2262-04-11');
  });
});
