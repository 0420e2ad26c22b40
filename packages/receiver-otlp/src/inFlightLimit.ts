/** A request's share of the in-flight bounds; `grow` reserves more bytes, `release` gives all back. */
export interface InFlightTicket {
  /** Reserves `bytes` more; false (nothing reserved) when that would pass the byte bound. */
  grow(bytes: number): boolean;
  /** Takes the request slot of a ticket acquired with `slot: false`; false when the count bound is reached. */
  takeSlot(): boolean;
  release(): void;
}

export interface InFlightLimit {
  /**
   * A ticket for one more request holding `bytes`, or undefined when a bound is reached. With
   * `slot: false` the ticket holds bytes only (a body still being read) until `takeSlot()`.
   */
  acquire(bytes: number, options?: { slot?: boolean }): InFlightTicket | undefined;
  requests(): number;
  bytes(): number;
}

/**
 * Bounds the requests a receiver works on at once, by count and by the body bytes they hold
 * (compressed and inflated). Both transports share one limit, so memory stays bounded whatever
 * the mix; a refused request gets a retryable code (OTLP "Throttling": 429 / RESOURCE_EXHAUSTED).
 * @example const ticket = limit.acquire(body.length); if (!ticket) return tooBusy(); try { … } finally { ticket.release(); }
 */
export function inFlightLimit({
  maxRequests,
  maxBytes,
  onChange = () => {},
}: {
  maxRequests: number;
  maxBytes: number;
  onChange?: (requests: number, bytes: number) => void;
}): InFlightLimit {
  let requests = 0;
  let bytes = 0;
  return {
    requests: () => requests,
    bytes: () => bytes,
    acquire(initial, { slot = true } = {}) {
      if ((slot && requests + 1 > maxRequests) || bytes + initial > maxBytes) return undefined;
      if (slot) requests++;
      bytes += initial;
      let held = initial;
      let released = false;
      let slotted = slot;
      onChange(requests, bytes);
      return {
        takeSlot() {
          if (slotted) return true;
          if (released || requests + 1 > maxRequests) return false;
          requests++;
          slotted = true;
          onChange(requests, bytes);
          return true;
        },
        grow(more) {
          if (released || bytes + more > maxBytes) return false;
          bytes += more;
          held += more;
          onChange(requests, bytes);
          return true;
        },
        release() {
          if (released) return;
          released = true;
          if (slotted) requests--;
          bytes -= held;
          onChange(requests, bytes);
        },
      };
    },
  };
}

/** No bound on requests or bytes in flight: the limit of a receiver given none. */
export const unboundedInFlight = inFlightLimit({
  maxRequests: Number.POSITIVE_INFINITY,
  maxBytes: Number.POSITIVE_INFINITY,
});
