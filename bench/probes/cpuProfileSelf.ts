// Self time of a `--cpu-prof` profile (e.g. roundTrip.ts's EXTRA_NODE_OPTIONS='--cpu-prof
// --cpu-prof-dir=…' on `llmp start`) grouped by the stage it belongs to and divided by the run's
// INSERTs: the main thread's work per all-in-one cycle (issue 21 item 2, branch `onepass`).
// The whole run is in it: startup, the probe's hooks and the profiler's own cost too.
// node bench/probes/cpuProfileSelf.ts <file.cpuprofile> <inserts>
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, insertsArg] = process.argv.slice(2);
if (!file || !insertsArg) throw new Error('usage: cpuProfileSelf.ts <file.cpuprofile> <inserts>');
const profile: Profile = JSON.parse(readFileSync(file, 'utf8'));
const inserts = Number(insertsArg);

/** The stage a frame's self time is counted under: a named stage, else its file. */
const stages: [string, RegExp][] = [
  ['receiver screening (screenProtobufRequest)', /screenProtobufRequest/],
  ['protobuf decode (decodeWireRequest)', /decodeWireRequest/],
  ['RowBinary (spanRowBinary)', /spanRowBinary/],
  ['RowBinary (rowBinaryWriter)', /rowBinaryWriter/],
  ['grpc-js', /grpc-js/],
  ['node:http2', /http2/],
  ['genai', /packages\/genai\//],
  ['jobs', /packages\/jobs\//],
  ['chdb binding', /chdb/],
];
const stageOf = ({ functionName, url }: ProfileNode['callFrame']) => {
  for (const [name, pattern] of stages) if (pattern.test(url)) return name;
  if (url === '') return functionName; // (garbage collector), (program), (idle), natives
  return url.replace(/^.*\/(packages|node_modules)\//, '$1/');
};

const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const microseconds = new Map<string, number>();
profile.samples.forEach((id, i) => {
  const stage = stageOf(nodes.get(id)!.callFrame);
  microseconds.set(stage, (microseconds.get(stage) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
for (const [stage, us] of [...microseconds].sort((a, b) => b[1] - a[1]).slice(0, 30))
  console.log(`${(us / 1000 / inserts).toFixed(2).padStart(8)} ms per INSERT  ${stage}`);
