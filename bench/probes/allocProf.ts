// Allocation sampling (collected objects included) of ingester-node's stage loop.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { ingesterNodeScenario } from '../src/ingesterNodeScenario.ts';

await ingesterNodeScenario({ rounds: 1 }); // warm up, builds inputs too
const s = new Session();
s.connect();
await s.post('HeapProfiler.startSampling', {
  samplingInterval: 8192,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
});
await ingesterNodeScenario({ rounds: 2 });
const { profile } = await s.post('HeapProfiler.stopSampling');
writeFileSync(process.env.OUT ?? '/tmp/ingnode/alloc.heapprofile', JSON.stringify(profile));
