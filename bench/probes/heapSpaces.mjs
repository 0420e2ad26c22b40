// Preload (node --import) for bench/probes/gatewayMemory.ts: on SIGUSR2 writes V8's heap spaces,
// code statistics and process.memoryUsage() to HEAP_SPACES_OUT (issue 21, item 1 RSS).
import { writeFileSync } from 'node:fs';
import { getHeapCodeStatistics, getHeapSpaceStatistics } from 'node:v8';

process.on('SIGUSR2', () => {
  writeFileSync(
    process.env.HEAP_SPACES_OUT,
    JSON.stringify({
      memory: process.memoryUsage(),
      spaces: getHeapSpaceStatistics(),
      code: getHeapCodeStatistics(),
    }),
  );
});
