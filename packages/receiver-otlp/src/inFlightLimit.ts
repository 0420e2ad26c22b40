/** A request's share of the in-flight bounds; `grow` reserves more bytes, `release` gives all back. */
export interface InFlightTicket {
  /** Reserves `bytes` more; false (nothing reserved) when that would pass the byte bound. */
  grow(bytes: number): boolean;
  release(): void;
}

export interface InFlightLimit {
  /** A ticket for one more request holding `bytes`, or undefined when a bound is reached. */
  acquire(bytes: number): InFlightTicket | undefined;
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
    acquire(initial) {
      if (requests + 1 > maxRequests || bytes + initial > maxBytes) return undefined;
      requests++;
      bytes += initial;
      let held = initial;
      let released = false;
      onChange(requests, bytes);
      return {
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
          requests--;
          bytes -= held;
          onChange(requests, bytes);
        },
      };
    },
  };
}
