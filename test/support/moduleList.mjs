// Preload (node --import) for cmd roles in tests and bench/probes/roleFootprint.ts: records every module the process
// loads; on SIGUSR2 writes them (urls), counted by package (packages), with process.memoryUsage() to MODULE_LIST_OUT.
import { writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const loaded = [];
registerHooks({
  load(url, context, next) {
    loaded.push(url);
    return next(url, context);
  },
});

/** The package a module URL belongs to: a workspace package, a dependency, or node:. */
function packageOf(url) {
  if (url.startsWith('node:')) return 'node:';
  const dependency = /node_modules\/\.pnpm\/[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dependency) return dependency[1];
  const workspace = /\/(packages\/[^/]+|cmd\/[^/]+)\//.exec(url);
  return workspace ? workspace[1] : url;
}

process.on('SIGUSR2', () => {
  const packages = {};
  for (const url of loaded) packages[packageOf(url)] = (packages[packageOf(url)] ?? 0) + 1;
  const sorted = Object.fromEntries(Object.entries(packages).sort((a, b) => b[1] - a[1]));
  writeFileSync(
    process.env.MODULE_LIST_OUT,
    JSON.stringify({ memory: process.memoryUsage(), modules: loaded.length, packages: sorted, urls: loaded }),
  );
});
