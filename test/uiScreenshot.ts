// Takes docs/ui-trace.png and docs/ui-job.png, the README's pictures of the trace page and the
// job page: a real llmp start fed by the OTel JS SDK, shot in Debian's Chromium. Run from test/:
//   node --experimental-strip-types uiScreenshot.ts
import { launch } from 'puppeteer-core';
import { startLlmp } from './support/llmpProcess.ts';
import { tempDir } from './support/tempDir.ts';
import { sendChatTrace } from './support/uiTraces.ts';

// Page functions run in the browser; this script's types have no DOM.
declare const document: { querySelectorAll(selector: string): ArrayLike<unknown> };

const dir = tempDir('shot');
const llmp = await startLlmp({ dataDir: `${dir.path}/d` });
const id = await sendChatTrace(`http://127.0.0.1:${llmp.httpPort}/v1/traces`, 'support-bot');
for (let i = 0; i < 50; i++) {
  await sendChatTrace(`http://127.0.0.1:${llmp.httpPort}/v1/traces`, i % 3 ? 'support-bot' : 'checkout');
}
await new Promise((r) => setTimeout(r, 2500));
const browser = await launch({
  executablePath: process.env.LLMP_CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox'],
});
const page = await browser.newPage();
// Wide enough for the span panel beside the tree.
await page.setViewport({ width: 1400, height: 800 });
await page.goto(`http://127.0.0.1:${llmp.apiPort}/traces/${id}`);
await page.waitForSelector('.span-row');
const rows = await page.$$('.span-row');
await rows[1]!.click();
await page.waitForSelector('.chat');
await page.screenshot({ path: '../docs/ui-trace.png' });

// A job with two versions, a rollback and runs in the last hour.
const api = `http://127.0.0.1:${llmp.apiPort}/v1/jobs`;
const json = { 'content-type': 'application/json' };
await fetch(api, {
  method: 'POST',
  headers: json,
  body: JSON.stringify({
    id: 'refund-answers',
    name: 'Refund answers',
    prompt: 'Answer briefly.',
    output_model: { type: 'object', required: ['refund_days'] },
  }),
});
await fetch(`${api}/refund-answers`, {
  method: 'PATCH',
  headers: json,
  body: JSON.stringify({ prompt: 'Answer briefly, citing the refund policy.' }),
});
// Two answers in three are JSON with the required field: a validation pass rate of ~67 %.
for (let i = 0; i < 12; i++)
  await sendChatTrace(`http://127.0.0.1:${llmp.httpPort}/v1/traces`, 'support-bot', {
    jobId: 'refund-answers',
    ...(i % 3 ? { answer: '{"refund_days": 30}' } : {}),
  });
await new Promise((r) => setTimeout(r, 2500));
await page.setViewport({ width: 1400, height: 1300 });
await page.goto(`http://127.0.0.1:${llmp.apiPort}/jobs/refund-answers`);
await page.waitForSelector('.run-row');
await page.select('select[name=metrics-range]', '1h');
await page.waitForFunction(() => document.querySelectorAll('.chart canvas').length === 5);
await page.screenshot({ path: '../docs/ui-job.png' });
await browser.close();
await llmp.stop();
dir.remove();
