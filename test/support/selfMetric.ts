/**
 * The value of one self-metric series on a Prometheus `/metrics` text, 0 when the series is not
 * there yet (a counter not incremented).
 * @example metricValue(text, 'llmp_processor_pending_spans', { processor: 'batch' })
 */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const wanted = Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`));
    if (wanted) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/**
 * Polls `/metrics` at `url` until the series' value satisfies `condition` (instead of a fixed
 * sleep), and returns it; fails with what it last saw when the time is up.
 * @example await waitForMetric(`http://127.0.0.1:${llmp.apiPort}/metrics`, 'llmp_processor_pending_spans', { processor: 'batch' }, (v) => v >= 15);
 */
export async function waitForMetric(
  url: string,
  name: string,
  labels: Record<string, string>,
  condition: (value: number) => boolean,
  timeoutMs = 30_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let value = Number.NaN;
  for (;;) {
    value = metricValue(await (await fetch(url)).text(), name, labels);
    if (condition(value)) return value;
    if (Date.now() > deadline) {
      throw new Error(`${name}${JSON.stringify(labels)} is still ${value} after ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
