import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { queryApp } from './queryApp.ts';
import { defaultUiDir } from './uiRoutes.ts';

const dir = mkdtempSync(join(tmpdir(), 'llmp-ui-'));
mkdirSync(join(dir, 'assets'));
writeFileSync(
  join(dir, 'index.html'),
  '<!doctype html><script type="module" src="/assets/index-Ab12.js"></script>',
);
writeFileSync(join(dir, 'assets', 'index-Ab12.js'), 'console.log(1)');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const source = { readTrace: async () => [], ping: async () => {} };
const app = queryApp({ source, uiDir: dir });

describe('web UI at /', () => {
  it('serves index.html uncached, with a Content-Security-Policy that allows no inline script', async () => {
    const res = await app.request('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(await res.text()).toContain('/assets/index-Ab12.js');
  });

  it('caches hashed assets for a year as immutable, and answers a missing one with 404', async () => {
    const res = await app.request('/assets/index-Ab12.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('javascript');
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await app.request('/assets/index-Old9.js')).status).toBe(404);
    expect((await app.request('/assets/..%2F..%2Fpackage.json')).status).toBe(404);
  });

  it("answers the UI's own paths with index.html, so a reload keeps the page", async () => {
    const res = await app.request('/traces/5b8efff798038103d269b633813fc60c?span=1');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('/assets/index-Ab12.js');
  });

  it('keeps JSON problems for unknown API paths and the API routes themselves', async () => {
    for (const path of ['/v1/nothing', '/api/nothing', '/v1/traces/abc/def']) {
      const res = await app.request(path);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
    }
    expect((await app.request('/healthz')).headers.get('content-type')).toContain('application/json');
    expect((await app.request('/docs')).headers.get('content-type')).toContain('text/html');
    expect(await (await app.request('/docs')).text()).toContain('swagger-ui-bundle.js');
  });

  it('says plainly when the UI is not built', async () => {
    const bare = queryApp({ source, uiDir: join(dir, 'nowhere') });
    const res = await bare.request('/');
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.text()).toContain('pnpm build');
  });

  it('builds a page with no inline script (what the policy requires)', () => {
    const html = readFileSync(join(defaultUiDir(), 'index.html'), 'utf8');
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, body] of scripts) {
      expect(attributes).toMatch(/src="\/assets\/[^"]+-[\w-]{8}\.js"/);
      expect(body!.trim()).toBe('');
    }
  });
});

describe('/docs groups', () => {
  it('tags every operation of /openapi.json with its resource', async () => {
    const doc = (await (await app.request('/openapi.json')).json()) as {
      tags: Array<{ name: string }>;
      paths: Record<string, Record<string, { tags?: string[] }>>;
    };
    const names = doc.tags.map((t) => t.name);
    for (const [path, operations] of Object.entries(doc.paths))
      for (const operation of Object.values(operations)) {
        expect(operation.tags, path).toHaveLength(1);
        expect(names).toContain(operation.tags![0]);
      }
    expect(doc.paths['/v1/traces']!.get!.tags).toEqual(['traces']);
    expect(doc.paths['/v1/traces/{traceId}']!.get!.tags).toEqual(['traces']);
    expect(doc.paths['/v1/spans']!.get!.tags).toEqual(['spans']);
    expect(doc.paths['/v1/metrics']!.get!.tags).toEqual(['metrics']);
  });
});
