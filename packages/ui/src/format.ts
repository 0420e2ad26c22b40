/**
 * A nanosecond duration for people: `850 µs`, `12.3 ms`, `4.21 s`, `2m 05s`.
 * @example formatDuration('12345678') // '12.3 ms'
 */
export function formatDuration(ns: string | bigint | number): string {
  const n = Number(ns);
  if (n < 1_000) return `${n} ns`;
  if (n < 1_000_000) return `${(n / 1_000).toFixed(n < 10_000 ? 1 : 0)} µs`;
  if (n < 1_000_000_000) return `${(n / 1_000_000).toFixed(n < 10_000_000 ? 2 : 1)} ms`;
  const s = n / 1_000_000_000;
  if (s < 60) return `${s.toFixed(2)} s`;
  const m = Math.floor(s / 60);
  return `${m}m ${String(Math.round(s - m * 60)).padStart(2, '0')}s`;
}

/**
 * A cost in US dollars, with enough digits for a single cheap call.
 * @example formatCost(0.000123) // '$0.000123'
 */
export function formatCost(usd: number | null): string {
  if (usd === null) return '—';
  if (usd === 0) return '$0';
  return usd >= 0.01 ? `$${usd.toFixed(4)}` : `$${usd.toPrecision(3)}`;
}

/**
 * A time in the browser's zone with milliseconds.
 * @example formatTime('2026-01-01T10:00:00.123456789Z')
 */
export function formatTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? iso
    : `${date.toLocaleString()}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}

/** An attribute value as text. */
export const attributeText = (value: unknown): string =>
  typeof value === 'string' ? value : JSON.stringify(value);
