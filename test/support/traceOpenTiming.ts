import { type Browser, launch } from 'puppeteer-core';

// Page functions run in the browser; the test project's types have no DOM, so declare the little they use.
declare const document: { querySelector(selector: string): { textContent: string | null } | null };
declare const sessionStorage: { setItem(key: string, value: string): void };
declare const performance: {
  now(): number;
  getEntriesByType(type: 'resource'): Array<{
    name: string;
    requestStart: number;
    responseStart: number;
    responseEnd: number;
  }>;
};

/**
 * Debian's Chromium, headless, through puppeteer-core (which downloads no browser);
 * `LLMP_CHROMIUM` names another binary.
 * @example const browser = await launchChromium(); await browser.close();
 */
export function launchChromium(): Promise<Browser> {
  return launch({
    executablePath: process.env.LLMP_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu'],
  });
}

export interface TraceOpenTiming {
  /** From navigation to the span count and the first rows shown. */
  totalMs: number;
  /** The outline request: sent to first byte (the server's read), and first to last byte. */
  serverMs: number;
  transferMs: number;
  /** After the last byte: parse, tree, first render. */
  afterResponseMs: number;
}

/**
 * Opens a trace's page in a fresh tab and times it until its `spans` spans are counted and the
 * first rows are shown, split by the Resource Timing entry of its outline request.
 * @example const timing = await openTraceTimed(browser, 'http://127.0.0.1:8080', traceId, 30_000);
 */
export async function openTraceTimed(
  browser: Browser,
  base: string,
  traceId: string,
  spans: number,
  apiKey?: string,
): Promise<TraceOpenTiming> {
  const page = await browser.newPage();
  try {
    // With API keys on: the key the tab would hold after its prompt.
    if (apiKey) await page.evaluateOnNewDocument((k) => sessionStorage.setItem('llmp.apiKey', k), apiKey);
    await page.setViewport({ width: 1400, height: 900 });
    // The app's code is cached, as for a user coming from the trace list.
    await page.goto(`${base}/`);
    await page.goto(`${base}/traces/${traceId}`);
    await page.waitForFunction(
      (n) =>
        document.querySelector('#span-count')?.textContent === String(n) &&
        document.querySelector('.span-row'),
      { timeout: 120_000 },
      spans,
    );
    return await page.evaluate(() => {
      const done = performance.now();
      const entry = performance.getEntriesByType('resource').find((e) => e.name.endsWith('/outline'))!;
      return {
        totalMs: done,
        serverMs: entry.responseStart - entry.requestStart,
        transferMs: entry.responseEnd - entry.responseStart,
        afterResponseMs: done - entry.responseEnd,
      };
    });
  } finally {
    await page.close();
  }
}

/**
 * Fetches `path` of the query API from a page and times it to the parsed JSON, in the browser.
 * @example const ms = await fetchTimed(browser, base, `/v1/traces/${traceId}`);
 */
export async function fetchTimed(
  browser: Browser,
  base: string,
  path: string,
  apiKey?: string,
): Promise<number> {
  const page = await browser.newPage();
  try {
    await page.goto(`${base}/`);
    return await page.evaluate(
      async (p, k) => {
        const started = performance.now();
        await (await fetch(p, k ? { headers: { authorization: `Bearer ${k}` } } : {})).json();
        return performance.now() - started;
      },
      path,
      apiKey ?? '',
    );
  } finally {
    await page.close();
  }
}
