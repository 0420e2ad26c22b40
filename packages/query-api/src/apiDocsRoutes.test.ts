import { describe, expect, it } from 'vitest';
import { queryApp } from './queryApp.ts';

const app = queryApp({ source: { readTrace: async () => [], ping: async () => {} } });

describe('API docs page', () => {
  it('serves Swagger UI over /openapi.json from local assets only', async () => {
    const page = await app.request('/docs');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('/docs/swagger-ui-bundle.js');
    // Nothing from another host: every src and href is a local path.
    for (const [, url] of html.matchAll(/(?:src|href)="([^"]+)"/g)) expect(url).toMatch(/^\/docs\//);
    const init = await (await app.request('/docs/init.js')).text();
    expect(init).toContain("url: '/openapi.json'");
    const bundle = await app.request('/docs/swagger-ui-bundle.js');
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toContain('javascript');
    expect((await bundle.text()).length).toBeGreaterThan(100_000);
    expect((await app.request('/docs/swagger-ui.css')).status).toBe(200);
  });

  it('serves no other file', async () => {
    expect((await app.request('/docs/package.json')).status).toBe(404);
    expect((await app.request('/docs/..%2F..%2Fpackage.json')).status).toBe(404);
  });
});
