import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

// The query API serves dist/site: hashed names under /assets/ are cached for a year, index.html
// never; no inline script, so the page runs under a strict Content-Security-Policy.
export default defineConfig({
  plugins: [preact()],
  build: {
    outDir: 'dist/site',
    emptyOutDir: true,
    assetsDir: 'assets',
    // Everything as files: an inlined data: asset would need a wider CSP.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
