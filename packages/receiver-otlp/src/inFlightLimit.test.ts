import { describe, expect, it } from 'vitest';
import { inFlightLimit } from './inFlightLimit.ts';

describe('inFlightLimit', () => {
  it('refuses a request past the count bound and admits one again after a release', () => {
    const limit = inFlightLimit({ maxRequests: 2, maxBytes: 1000 });
    const a = limit.acquire(10)!;
    const b = limit.acquire(10)!;
    expect(limit.acquire(0)).toBeUndefined();
    a.release();
    expect(limit.acquire(0)).toBeDefined();
    b.release();
  });

  it('refuses bytes past the byte bound without reserving them, and gives back all a ticket holds', () => {
    const seen: Array<[number, number]> = [];
    const limit = inFlightLimit({ maxRequests: 10, maxBytes: 100, onChange: (r, b) => seen.push([r, b]) });
    const ticket = limit.acquire(40)!;
    expect(ticket.grow(50)).toBe(true);
    expect(ticket.grow(11)).toBe(false);
    expect(limit.bytes()).toBe(90);
    expect(limit.acquire(11)).toBeUndefined();
    ticket.release();
    ticket.release();
    expect([limit.requests(), limit.bytes()]).toEqual([0, 0]);
    expect(seen.at(-1)).toEqual([0, 0]);
  });

  it('lets tickets without a slot hold bytes past the count bound, and takes the slot only when one is free', () => {
    const limit = inFlightLimit({ maxRequests: 1, maxBytes: 100 });
    const reading = [limit.acquire(0, { slot: false })!, limit.acquire(0, { slot: false })!];
    expect(reading[0]!.grow(30)).toBe(true);
    expect(reading[1]!.grow(30)).toBe(true);
    expect([limit.requests(), limit.bytes()]).toEqual([0, 60]);
    expect(reading[0]!.takeSlot()).toBe(true);
    expect(reading[0]!.takeSlot()).toBe(true);
    expect(reading[1]!.takeSlot()).toBe(false);
    reading[0]!.release();
    expect(reading[1]!.takeSlot()).toBe(true);
    reading[1]!.release();
    expect([limit.requests(), limit.bytes()]).toEqual([0, 0]);
  });
});
