#!/usr/bin/env -S node --experimental-strip-types --disable-warning=ExperimentalWarning
// The llmp CLI runs its TypeScript sources directly (Node's type stripping): nothing to build.
await import('../src/main.ts');
