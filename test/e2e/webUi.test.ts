import { createHash, randomUUID } from 'node:crypto';
import { appendFileSync, existsSync } from 'node:fs';
import { type Browser, launch, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LlmpProcess, startLlmp } from '../support/llmpProcess.ts';
import { tempDir } from '../support/tempDir.ts';
import { chatTurn, sendChatTrace, sendWideTrace } from '../support/uiTraces.ts';

// Page functions run in the browser; the test project's types have no DOM, so declare the little they use.
type PageNode = { textContent: string | null };
declare const document: {
  querySelector(selector: string): PageNode | null;
  querySelectorAll(selector: string): ArrayLike<PageNode> & Iterable<PageNode>;
};
declare const location: { search: string };

// Debian's chromium (.ci/run installs it); puppeteer-core downloads no browser.
const chromium = process.env.LLMP_CHROMIUM ?? '/usr/bin/chromium';
const wideSpans = 30_000;

const dir = tempDir('web-ui');
let open: LlmpProcess;
let keyed: LlmpProcess;
let browser: Browser;

const line = (key: string, project: string, role: string) =>
  `sha256:${createHash('sha256').update(key).digest('hex')}=${project}:${role}`;

beforeAll(async () => {
  if (!existsSync(chromium)) throw new Error(`no Chromium at ${chromium}: apt-get install -y chromium`);
  [open, keyed, browser] = await Promise.all([
    startLlmp({ dataDir: `${dir.path}/open` }),
    startLlmp({
      dataDir: `${dir.path}/keyed`,
      env: {
        LLMP_API_KEYS: [
          line('ui-a-ingest', 'team-a', 'ingest'),
          line('ui-a-read', 'team-a', 'read'),
          line('ui-b-ingest', 'team-b', 'ingest'),
          line('ui-a-admin', 'team-a', 'admin'),
        ].join(','),
      },
    }),
    launch({ executablePath: chromium, headless: true, args: ['--no-sandbox', '--disable-gpu'] }),
  ]);
});

afterAll(async () => {
  await browser?.close();
  expect(await open?.stop()).toBe(0);
  expect(await keyed?.stop()).toBe(0);
  dir.remove();
});

async function waitForTrace(llmp: LlmpProcess, traceId: string, spans: number, key?: string) {
  const headers: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
  for (let i = 0; i < 600; i++) {
    // A trace read answers at most 10 000 spans a part: count every part.
    let stored = 0;
    let cursor: string | undefined;
    let res: Response;
    do {
      const query = cursor ? `?cursor=${encodeURIComponent(cursor)}` : '';
      res = await fetch(`http://127.0.0.1:${llmp.apiPort}/v1/traces/${traceId}${query}`, { headers });
      if (!res.ok) break;
      const part = (await res.json()) as { spans: unknown[]; next_cursor?: string };
      stored += part.spans.length;
      cursor = part.next_cursor;
    } while (cursor);
    if (res.ok && stored === spans) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`trace ${traceId} never had ${spans} spans`);
}

async function newPage(): Promise<Page> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 900 });
  // A Content-Security-Policy violation or a script error is a failure, not a console line.
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(String(error)));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 401/.test(m.text())) problems.push(m.text());
  });
  (page as Page & { problems: string[] }).problems = problems;
  return page;
}
const problemsOf = (page: Page) => (page as Page & { problems: string[] }).problems;

/** Filters the list by service and opens the trace; then selects its LLM span. */
async function findAndOpen(page: Page, base: string, service: string, traceId: string) {
  await page.goto(`${base}/`);
  await page.waitForSelector('form.filters input[name=service]');
  await page.type('form.filters input[name=service]', service);
  await page.click('form.filters button[type=submit]');
  await page
    .waitForFunction(
      (s) => location.search.includes(s) && document.querySelectorAll('.trace-row').length === 1,
      { timeout: 10_000 },
      service,
    )
    .catch(async (error) => {
      throw new Error(`${error}\n${await page.$eval('main', (m) => m.textContent)}`);
    });
  expect(await page.$eval('.trace-row a', (a) => a.getAttribute('href'))).toBe(`/traces/${traceId}`);
  await page.click('.trace-row a');
  await page.waitForSelector('.span-row');
  const rows = await page.$$eval('.span-row', (els) => els.map((e) => e.textContent ?? ''));
  expect(rows).toHaveLength(3);
  const llm = await page.$$('.span-row');
  await llm[rows.findIndex((t) => t.includes('chat gpt-4o'))]!.click();
  await page.waitForFunction(() => document.querySelector('#span-panel h3')?.textContent === 'chat gpt-4o');
  return {
    model: await page.$eval('#genai-model', (e) => e.textContent),
    tokens: await page.$eval('#genai-tokens', (e) => e.textContent),
    cost: await page.$eval('#genai-cost', (e) => e.textContent),
    input: await page.$$eval('.chat.input .message', (els) => els.map((e) => e.textContent)),
    output: await page.$$eval('.chat.output .message', (els) => els.map((e) => e.textContent)),
    job: await page.$eval('#span-job', (e) => e.textContent),
  };
}

describe('web UI in Chromium against llmp start', () => {
  it('finds a trace by filter, opens it and reads the LLM call: messages, tokens, cost', async () => {
    const service = `ui-shop-${randomUUID().slice(0, 8)}`;
    const traceId = await sendChatTrace(`http://127.0.0.1:${open.httpPort}/v1/traces`, service);
    await waitForTrace(open, traceId, 3);
    const page = await newPage();
    const seen = await findAndOpen(page, `http://127.0.0.1:${open.apiPort}`, service, traceId);
    expect(seen.model).toContain('gpt-4o');
    expect(seen.tokens).toContain(`${chatTurn.inputTokens} in / ${chatTurn.outputTokens} out`);
    expect(seen.cost).toContain('$0.00420');
    expect(seen.input).toEqual([
      expect.stringContaining('system'),
      expect.stringContaining(chatTurn.question),
    ]);
    expect(seen.output).toHaveLength(1);
    expect(seen.output[0]).toContain(chatTurn.answer);
    expect(seen.output[0]).toContain('lookup_order');
    expect(seen.job).toContain('support-bot');
    // A reload of the trace URL (client route) brings the same page back.
    await page.reload();
    await page.waitForSelector('#span-panel');
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });

  it("lists jobs with status and type, and opens a job's traces", async () => {
    // The chat trace names job support-bot, which registers it (discovered).
    const service = `ui-jobs-${randomUUID().slice(0, 8)}`;
    const traceId = await sendChatTrace(`http://127.0.0.1:${open.httpPort}/v1/traces`, service);
    await waitForTrace(open, traceId, 3);
    const page = await newPage();
    await page.goto(`http://127.0.0.1:${open.apiPort}/jobs?status=active`);
    await page.waitForSelector('.job-row');
    const rows = await page.$$eval('.job-row', (els) => els.map((e) => e.textContent ?? ''));
    const row = rows.findIndex((t) => t.includes('support-bot'));
    expect(rows[row]).toContain('llm_task');
    expect(rows[row]).toContain('active');
    await (await page.$$('.job-row a[href^="/?jobId="]'))[row]!.click();
    await page.waitForFunction(() => location.search.includes('jobId=support-bot'));
    await page.waitForFunction(
      (id) =>
        [...document.querySelectorAll('.trace-row a')].some((a) => a.textContent === 'POST /support') &&
        document.querySelector(`.trace-row a[href="/traces/${id}"]`) !== null,
      { timeout: 10_000 },
      traceId,
    );
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });

  it('opens a job: compares two versions, rolls back, pauses; its runs link to their traces and its numbers show', async () => {
    const base = `http://127.0.0.1:${open.apiPort}`;
    const id = `ui-job-${randomUUID().slice(0, 8)}`;
    const json = { 'content-type': 'application/json' };
    const created = await fetch(`${base}/v1/jobs`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ id, job_type: 'llm_task', name: 'Refund answers', prompt: 'Answer briefly.' }),
    });
    expect(created.status).toBe(201);
    const patched = await fetch(`${base}/v1/jobs/${id}`, {
      method: 'PATCH',
      headers: json,
      body: JSON.stringify({ prompt: 'Answer briefly, citing the policy.' }),
    });
    expect(patched.status).toBe(200);
    const traceId = await sendChatTrace(`http://127.0.0.1:${open.httpPort}/v1/traces`, 'ui-job-run', {}, id);
    await waitForTrace(open, traceId, 3);

    const page = await newPage();
    await page.goto(`${base}/jobs?name=Refund`);
    await page.waitForSelector(`.job-row a[href="/jobs/${id}"]`);
    await page.click(`.job-row a[href="/jobs/${id}"]`);
    await page.waitForFunction(() => document.querySelector('#job-version')?.textContent === 'v2');
    expect(await page.$eval('#job-status', (e) => e.textContent)).toBe('active');
    // v1 against v2: the prompt is the one field that changed.
    const diff = () => page.$$eval('.diff-row', (rows) => rows.map((r) => r.textContent ?? ''));
    expect(await diff()).toEqual([
      expect.stringMatching(/^prompt"Answer briefly\."\s*"Answer briefly, citing the policy\."$/),
    ]);
    // The run is listed and its numbers (tokens, cost of the LLM span) are the job's.
    await page.waitForSelector(`.run-row a[href="/traces/${traceId}"]`);
    await page.waitForFunction(
      () => document.querySelector('#job-run-metrics tbody tr:last-child')?.textContent?.includes('$0.00420'),
      { timeout: 10_000 },
    );
    const total = await page.$eval('#job-run-metrics tbody tr:last-child', (e) => e.textContent ?? '');
    expect(total).toContain(`${chatTurn.inputTokens} / ${chatTurn.outputTokens}`);
    await page.waitForFunction(() => document.querySelectorAll('.chart canvas').length === 4);

    // Roll back to v1: v3 holds v1's prompt.
    await page.click('.version-row .rollback');
    await page.waitForFunction(() => document.querySelector('#job-version')?.textContent === 'v3');
    expect(await page.$eval('#job-definition', (e) => e.textContent)).toContain(
      '"prompt": "Answer briefly."',
    );
    expect(await diff()).toEqual([
      expect.stringMatching(/^prompt"Answer briefly, citing the policy\."\s*"Answer briefly\."$/),
    ]);

    await page.click('#job-pause');
    await page.waitForFunction(() => document.querySelector('#job-status')?.textContent === 'paused');
    expect(await page.$$eval('.event-row', (rows) => rows.map((r) => r.textContent ?? ''))).toEqual([
      expect.stringContaining('created'),
      expect.stringContaining('updated'),
      expect.stringContaining('rolled_back'),
      expect.stringContaining('paused'),
    ]);
    const job = (await (await fetch(`${base}/v1/jobs/${id}`)).json()) as { status: string; version: number };
    expect(job).toMatchObject({ status: 'paused', version: 3 });

    // A run opens its trace.
    await page.click(`.run-row a[href="/traces/${traceId}"]`);
    await page.waitForSelector('.span-row');
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });

  it('dashboards show the cost and tokens of the sent traces by service, charted and totalled', async () => {
    const service = `ui-cost-${randomUUID().slice(0, 8)}`;
    const url = `http://127.0.0.1:${open.httpPort}/v1/traces`;
    const ids = [await sendChatTrace(url, service), await sendChatTrace(url, service)];
    for (const id of ids) await waitForTrace(open, id, 3);
    const page = await newPage();
    await page.goto(`http://127.0.0.1:${open.apiPort}/`);
    await page.click('header nav a[href="/dashboards"]');
    await page.waitForSelector('.metric-row');
    await page.select('select[name=by]', 'service');
    await page.waitForFunction(() => location.search.includes('by=service'));
    const row = () =>
      page.waitForFunction(
        (s) =>
          [...document.querySelectorAll('.metric-row')].find((r) => r.textContent?.startsWith(s))
            ?.textContent,
        { timeout: 10_000 },
        service,
      );
    // Two LLM calls of 321 / 54 tokens at $0.0042 each (the tool and root spans carry none).
    const text = await (await row()).jsonValue();
    expect(text).toBe(`${service}60${2 * chatTurn.inputTokens} / ${2 * chatTurn.outputTokens}$0.00840`);
    await page.waitForFunction(() => document.querySelectorAll('.chart canvas').length === 2);
    expect(await page.$$eval('.chart .u-title', (els) => els.map((e) => e.textContent))).toEqual([
      'Cost (USD) by service',
      'Tokens by service',
    ]);
    expect(await page.$$eval('.chart .u-legend', (els) => els.map((e) => e.textContent ?? ''))).toEqual([
      expect.stringContaining(service),
      expect.stringContaining(service),
    ]);
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });

  it("groups traces by session and by user (ids on the root span only), and opens a session's traces", async () => {
    const tag = randomUUID().slice(0, 8);
    const [a, b, user] = [`sess-a-${tag}`, `sess-b-${tag}`, `user-${tag}`];
    const url = `http://127.0.0.1:${open.httpPort}/v1/traces`;
    const send = (session: string) =>
      sendChatTrace(url, `ui-sessions-${tag}`, {}, 'support-bot', { 'session.id': session, 'user.id': user });
    const ids = [await send(a), await send(a), await send(b)];
    for (const id of ids) await waitForTrace(open, id, 3);
    const page = await newPage();
    await page.goto(`http://127.0.0.1:${open.apiPort}/`);
    await page.click('header nav a[href="/sessions"]');
    const rowOf = async (id: string) =>
      (
        await page.waitForFunction(
          (s) =>
            [...document.querySelectorAll('.session-row')].find((r) => r.textContent?.startsWith(s))
              ?.textContent,
          { timeout: 10_000 },
          id,
        )
      ).jsonValue();
    // Session, traces, spans, errors, users, tokens, cost: the LLM child's tokens count with its trace.
    expect(await rowOf(a)).toMatch(
      new RegExp(`^${a}2601${2 * chatTurn.inputTokens} / ${2 * chatTurn.outputTokens}\\$0\\.00840`),
    );
    expect(await rowOf(b)).toMatch(new RegExp(`^${b}1301${chatTurn.inputTokens} / ${chatTurn.outputTokens}`));
    await page.select('select[name=by]', 'user');
    await page.waitForFunction(() => location.search.includes('by=user'));
    expect(await rowOf(user)).toMatch(new RegExp(`^${user}3902${3 * chatTurn.inputTokens} / `));
    // A group opens the trace list filtered to it.
    await page.select('select[name=by]', 'session');
    await page.waitForFunction(() => location.search.includes('by=session'));
    await (await page.waitForSelector(`.session-row a[href*="sessionId=${a}"]`))!.click();
    await page.waitForFunction(() => document.querySelectorAll('.trace-row').length === 2, {
      timeout: 10_000,
    });
    const shown = await page.$$eval('.trace-row a', (els) => els.map((e) => e.getAttribute('href')));
    expect(shown.sort()).toEqual(
      ids
        .slice(0, 2)
        .map((id) => `/traces/${id}`)
        .sort(),
    );
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });

  it(`opens a trace of ${wideSpans} spans, keeping only the rows in view in the DOM`, async () => {
    const traceId = await sendWideTrace(`http://127.0.0.1:${open.httpPort}/v1/traces`, 'ui-wide', wideSpans);
    await waitForTrace(open, traceId, wideSpans);
    const page = await newPage();
    await page.goto(`http://127.0.0.1:${open.apiPort}/`);
    const started = performance.now();
    await page.goto(`http://127.0.0.1:${open.apiPort}/traces/${traceId}`);
    await page.waitForFunction(
      (n) =>
        document.querySelector('#span-count')?.textContent === String(n) &&
        document.querySelector('.span-row'),
      { timeout: 20_000 },
      wideSpans,
    );
    const ms = performance.now() - started;
    if (process.env.LLMP_UI_TIMING_FILE)
      appendFileSync(process.env.LLMP_UI_TIMING_FILE, `${Math.round(ms)}\n`);
    const inDom = await page.$$eval('.span-row', (els) => els.length);
    expect(inDom).toBeGreaterThan(10);
    expect(inDom).toBeLessThan(200);
    // Scrolled to the end, the last spans are there too.
    await page.$eval('.tree .scroll', (el) => el.scrollTo(0, el.scrollHeight));
    await page.waitForFunction(() =>
      [...document.querySelectorAll('.span-row')].some((e) => e.textContent?.includes('call 8')),
    );
    expect(problemsOf(page)).toEqual([]);
    await page.close();
    // The issue asks for under 3 s (measured ~2.1 s here, docs/benchmarks.md); the bound is
    // generous so a loaded CI machine does not fail it, yet a page that renders every row does.
    expect(ms).toBeLessThan(6000);
  });

  it("with API keys on, asks for a key, keeps it in the tab's session and shows only its project", async () => {
    const url = `http://127.0.0.1:${keyed.httpPort}/v1/traces`;
    const service = `ui-keyed-${randomUUID().slice(0, 8)}`;
    const mine = await sendChatTrace(url, service, { 'x-llmp-api-key': 'ui-a-ingest' });
    const theirs = await sendChatTrace(url, service, { 'x-llmp-api-key': 'ui-b-ingest' });
    await waitForTrace(keyed, mine, 3, 'ui-a-read');
    const page = await newPage();
    const base = `http://127.0.0.1:${keyed.apiPort}`;
    await page.goto(`${base}/`);
    await page.waitForSelector('#api-key');
    await page.type('#api-key', 'ui-a-read');
    await page.click('.key-prompt button[type=submit]');
    expect(await page.evaluate(() => sessionStorage.getItem('llmp.apiKey'))).toBe('ui-a-read');
    // Only team-a's trace of the two with this service name.
    const seen = await findAndOpen(page, base, service, mine);
    expect(seen.tokens).toContain(`${chatTurn.inputTokens} in / ${chatTurn.outputTokens} out`);
    expect(seen.cost).toContain('$0.00420');
    // The other project's trace is not found, even by its id.
    await page.goto(`${base}/traces/${theirs}`);
    await page.waitForSelector('main .error');
    expect(await page.$eval('main .error', (e) => e.textContent)).toContain('Trace not found');
    await page.close();
  });

  it('with API keys on, a read key sees a job but may not pause it; an admin key compares versions and pauses', async () => {
    const base = `http://127.0.0.1:${keyed.apiPort}`;
    const id = `ui-keyed-job-${randomUUID().slice(0, 8)}`;
    const admin = { 'content-type': 'application/json', authorization: 'Bearer ui-a-admin' };
    const created = await fetch(`${base}/v1/jobs`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ id, name: 'Keyed job', prompt: 'one' }),
    });
    expect(created.status).toBe(201);
    await fetch(`${base}/v1/jobs/${id}`, {
      method: 'PATCH',
      headers: admin,
      body: JSON.stringify({ prompt: 'two' }),
    });
    const page = await newPage();
    await page.goto(`${base}/jobs/${id}`);
    await page.waitForSelector('#api-key');
    await page.type('#api-key', 'ui-a-read');
    await page.click('.key-prompt button[type=submit]');
    await page.waitForFunction(() => document.querySelector('#job-version')?.textContent === 'v2');
    await page.click('#job-pause');
    await page.waitForSelector('main.job > .error');
    expect(await page.$eval('main.job > .error', (e) => e.textContent)).toMatch(/forbidden/i);
    expect(await page.$eval('#job-status', (e) => e.textContent)).toBe('active');
    // The admin key of the same project may.
    await page.evaluate(() => sessionStorage.setItem('llmp.apiKey', 'ui-a-admin'));
    await page.reload();
    await page.waitForFunction(() => document.querySelector('#job-version')?.textContent === 'v2');
    expect(await page.$$eval('.diff-row', (rows) => rows.map((r) => r.textContent ?? ''))).toEqual([
      expect.stringMatching(/^prompt"one"\s*"two"$/),
    ]);
    await page.click('#job-pause');
    await page.waitForFunction(() => document.querySelector('#job-status')?.textContent === 'paused');
    expect(problemsOf(page).filter((p) => !/status of 403/.test(p))).toEqual([]);
    await page.close();
  });
});
