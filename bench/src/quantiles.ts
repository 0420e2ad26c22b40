/** p50 / p90 / p99 / max of a list of milliseconds, rounded to 0.1 ms. */
export function quantiles(values: number[]): { p50: number; p90: number; p99: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0) * 10) / 10;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: Math.round((sorted.at(-1) ?? 0) * 10) / 10 };
}

/** The median of a list of milliseconds (as quantiles reports p50). */
export const median = (values: number[]): number => quantiles(values).p50;
