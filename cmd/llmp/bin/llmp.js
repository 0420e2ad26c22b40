#!/usr/bin/env -S node --experimental-strip-types --disable-warning=ExperimentalWarning
// The llmp CLI runs its TypeScript sources directly (Node's type stripping): nothing to build.
// Node's compile cache (NODE_COMPILE_CACHE, else <tmpdir>/node-compile-cache; off with
// NODE_DISABLE_COMPILE_CACHE=1) keeps every module stripped and compiled, keyed by its content:
// from the second start on Node loads no TypeScript stripper, ~17 MiB less resident memory for
// every role and a faster start (docs/benchmarks.md, "Memory of each role").
import module from 'node:module';

module.enableCompileCache?.();
await import('../src/main.ts');
