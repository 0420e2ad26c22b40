import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, relative } from 'node:path';
import { Hono } from 'hono';
import { problem } from './problem.ts';
import { retryAfter } from './retryAfter.ts';

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

/** Scripts and styles only from this origin, no inline script, API calls only to this origin. */
export const uiContentSecurityPolicy =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

// The API's own paths (and the process's, such as /metrics when no registry serves it): a JSON
// 404, never the UI page.
const apiPath = /^\/(v1|api)(\/|$)|^\/(metrics|healthz|readyz|openapi\.json)$/;

/** Where `pnpm build` puts the UI: packages/ui/dist/site. */
export function defaultUiDir(): string {
  return join(dirname(createRequire(import.meta.url).resolve('@llmp/ui/package.json')), 'dist', 'site');
}

interface Site {
  files: Map<string, { body: Uint8Array; type: string }>;
  index: Uint8Array | undefined;
}

function readSite(dir: string): Site {
  const files = new Map<string, { body: Uint8Array; type: string }>();
  if (!existsSync(dir)) return { files, index: undefined };
  // Read once into memory (the built site is ~100 KB): a request path is only ever a map key,
  // so it never reaches the file system.
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = join(entry.parentPath, entry.name);
    const type = types[extname(entry.name)];
    if (type) files.set(`/${relative(dir, full).split('\\').join('/')}`, { body: readFileSync(full), type });
  }
  return { files, index: files.get('/index.html')?.body };
}

const notBuilt = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>llmp</title></head>
<body><h1>llmp</h1><p>The web UI is not built. Run <code>pnpm build</code> (or <code>pnpm install</code>) and restart.
The API is at <a href="/docs">/docs</a>.</p></body></html>`;

/**
 * The web UI as static files at `/`: hashed `/assets/*` cached a year as immutable, `index.html`
 * never cached, a Content-Security-Policy on every page, and any other GET path outside the API
 * answered with index.html so the UI's own routes survive a reload. Mount after the API routes.
 * @example app.route('/', uiRoutes({ dir: defaultUiDir() }));
 */
export function uiRoutes({ dir = defaultUiDir() }: { dir?: string } = {}): Hono {
  const app = new Hono();
  let site: Site | undefined;
  // Loaded on first use, and again while not built, so a build after start is picked up.
  const current = () => {
    if (!site?.index) site = readSite(dir);
    return site;
  };
  const security = {
    'content-security-policy': uiContentSecurityPolicy,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
  app.get('/*', (c) => {
    const path = c.req.path;
    // API paths keep their JSON problems; the UI never shadows them.
    if (apiPath.test(path)) return problem(c, 404, 'Not found', `${c.req.method} ${path}`);
    const { files, index } = current();
    const file = files.get(path);
    if (file && path !== '/index.html') {
      const cache = path.startsWith('/assets/')
        ? 'public, max-age=31536000, immutable'
        : 'public, max-age=3600';
      return c.body(file.body as Uint8Array<ArrayBuffer>, 200, {
        'content-type': file.type,
        'cache-control': cache,
        ...security,
      });
    }
    // A missing hashed asset is a 404, not the page (a stale page asking for an old bundle).
    if (path.startsWith('/assets/')) return c.body('not found', 404, { 'content-type': 'text/plain' });
    const headers = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache', ...security };
    return index
      ? c.body(index as Uint8Array<ArrayBuffer>, 200, headers)
      : c.body(notBuilt, 503, { ...headers, 'retry-after': retryAfter });
  });
  return app;
}
