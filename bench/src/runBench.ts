import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { allInOneScenario } from './allInOneScenario.ts';
import { collectorScenario } from './collectorScenario.ts';
import { consumerClientsScenario } from './consumerClients.ts';
import { distributedScenario } from './distributedScenario.ts';
import { embeddedMemoryScenario } from './embeddedMemoryScenario.ts';
import { engineCeilingScenario } from './engineCeilingScenario.ts';
import { gatewayFloorScenario } from './gatewayFloorScenario.ts';
import { gatewayHotPathScenario } from './gatewayHotPathScenario.ts';
import { hugeTraceScenario } from './hugeTraceScenario.ts';
import { ingesterNodeScenario } from './ingesterNodeScenario.ts';
import { insertBreakdownScenario } from './insertBreakdown.ts';
import { insertCostsScenario } from './insertCosts.ts';
import { insertFormatsScenario } from './insertFormats.ts';
import { machine, storeFilesystem } from './machine.ts';
import { mlflowScenario } from './mlflowScenario.ts';
import { queryScenario } from './queryScenario.ts';
import { telemetrygenAllInOneScenario } from './telemetrygenAllInOneScenario.ts';
import { uiScenario } from './uiScenario.ts';
import { validationScriptScenario } from './validationScriptScenario.ts';

// `pnpm bench [all-in-one|distributed|query ...]`; BENCH_SECONDS and BENCH_ROWS scale the runs;
// BENCH_QUERY_STORE names a directory where the query store is kept and reused between runs;
// with BENCH_BASELINE=<checkout> that checkout's `llmp query` answers the same reads on a copy of
// it, interleaved, answers compared; BENCH_QUERY_ROUTES=searchByService,…,traceById times only those routes;
// BENCH_JOB_SPANS=root has only each trace's root span name its job in the query store.
// Only when named: `mlflow-down` (llmp start with MLflow down vs without MLflow), and
// `insert-formats` / `insert-costs` (insert formats on the embedded store, an INSERT's engine CPU),
// `insert-breakdown` (the fixed and per-row engine CPU of a telemetrygen-sized INSERT, per view),
// `embedded-memory` (RSS of llmp start and llmp ingester, engine allocator A/B), `ingester-node`
// (CPU per span of the ingester's own code, no Kafka or engine), `gateway-hot-path` (the gateway's
// screening and record cutting per span, no gRPC or Kafka), `kafka-consumers` (the Kafka
// consumer clients alone, kafkajs against @platformatic/kafka, A B A B), `validation-script`
// (per-span cost of a job's validation_script in its sandbox), `ui` (a BENCH_SPANS-span trace,
// default 30 000, opened in Debian's Chromium; BENCH_UI_API_KEYS=1: with API keys on; needs `pnpm build`).
const wanted = new Set(process.argv.slice(2));
const run = (name: string) => wanted.size === 0 || wanted.has(name);
const seconds = Number(process.env.BENCH_SECONDS ?? 20);
const rows = Number(process.env.BENCH_ROWS ?? 10_000_000);

const results: Array<Record<string, unknown>> = [];
const started = new Date().toISOString();
process.stdout.write(`llmp bench — ${machine()} — ${started}\n`);

// Scenarios whose figures come from an embedded store (llmp start or openStore) under TMPDIR
// (the query store under BENCH_QUERY_STORE when set): each reports that directory's file system.
const embedded = [
  'all-in-one',
  'telemetrygen-all-in-one',
  'query',
  'embedded-memory',
  'engine-ceiling',
  'huge-trace',
  'insert-',
];
const storeFs = new Map<string, string>();
function storeFsOf(scenario: string): string {
  const dir =
    scenario.startsWith('query') && process.env.BENCH_QUERY_STORE ? process.env.BENCH_QUERY_STORE : tmpdir();
  if (!storeFs.has(dir)) storeFs.set(dir, `${dir}: ${storeFilesystem(dir)}`);
  return storeFs.get(dir)!;
}

/** Prints a scenario's table as soon as it is done, so a later failure loses nothing. */
function report(given: Record<string, unknown>): void {
  const name = String(given.scenario);
  const result = embedded.some((e) => name.startsWith(e))
    ? { ...given, storeFilesystem: storeFsOf(name) }
    : given;
  results.push(result);
  process.stdout.write(`\n## ${result.scenario}\n`);
  for (const [key, value] of Object.entries(result)) {
    if (key === 'scenario') continue;
    process.stdout.write(
      `| ${key.padEnd(26)} | ${typeof value === 'object' ? JSON.stringify(value) : String(value)} |\n`,
    );
  }
}

if (run('all-in-one')) report(await allInOneScenario({ seconds }));
// Only when named: the OpenTelemetry Collector against llmp gateway, on telemetrygen's small spans
// (`collector`: BENCH_WORKERS telemetrygen processes, one request of BENCH_BATCH (100) spans in
// flight each, with BENCH_WORKERS_PER_SENDER (12) generating workers each: a worker makes ~1 700-2 200
// spans/s whatever its rate; 4 × 8 left the Collector at the senders' pace on a quiet machine) and on loadgen's LLM-sized spans
// (`collector-loadgen`, BENCH_WORKERS requests in flight), each run BENCH_SECONDS; BENCH_ROUNDS rounds,
// interleaved, each round starting one side later. BENCH_COLLECTOR_PIPELINE=batch puts the batch
// processor and the exporter's queue in the Collector (answered before Kafka); BENCH_COLLECTOR_LINGER sets its producer linger (default 10ms);
// BENCH_TELEMETRYGEN_RATE spans/s per worker (default 5000; 0: unthrottled, most of it dropped).
// BENCH_BASELINE=<checkout> adds that checkout's gateway as a third side in every round (A B C A B C),
// run with BENCH_BASELINE_NODE_OPTIONS (default the image's) where this checkout's gateway takes
// BENCH_GATEWAY_NODE_OPTIONS. Untimed BENCH_WARMUP_SECONDS (10) runs of the Collector and the
// gateway warm the broker first. BENCH_COLLECTOR_GOMAXPROCS sets the Collector's GOMAXPROCS.
for (const load of ['telemetrygen', 'loadgen'] as const) {
  if (!wanted.has(load === 'telemetrygen' ? 'collector' : 'collector-loadgen')) continue;
  report(
    await collectorScenario({
      load,
      workers: Number(process.env.BENCH_WORKERS ?? (load === 'telemetrygen' ? 4 : 8)),
      telemetrygen: {
        senders: Number(process.env.BENCH_WORKERS ?? 4),
        workersPerSender: Number(process.env.BENCH_WORKERS_PER_SENDER ?? 12),
        rate: Number(process.env.BENCH_TELEMETRYGEN_RATE ?? 5000),
        batchSize: Number(process.env.BENCH_BATCH ?? 100),
      },
      seconds: Number(process.env.BENCH_SECONDS ?? 10),
      rounds: Number(process.env.BENCH_ROUNDS ?? 3),
      pipeline: {
        mode: process.env.BENCH_COLLECTOR_PIPELINE === 'batch' ? 'batch' : 'sync',
        linger: process.env.BENCH_COLLECTOR_LINGER ?? '10ms',
      },
      baselineRoot: process.env.BENCH_BASELINE,
    }),
  );
}
// Only when named: the gateway's parts alone (receiver without Kafka, a bare node:http2 gRPC
// answer, records + producer without gRPC) on each collector load, BENCH_SECONDS each.
// The producer part runs twice: plain and merged (BENCH_SENDS_IN_FLIGHT merged sends at a time).
for (const load of ['telemetrygen', 'loadgen'] as const) {
  if (!wanted.has(`gateway-floor${load === 'telemetrygen' ? '' : '-loadgen'}`)) continue;
  report(await gatewayFloorScenario({ load, seconds: Number(process.env.BENCH_SECONDS ?? 10) }));
}
// Only when named: telemetrygen's small spans into llmp start (BENCH_WORKERS senders offering
// BENCH_RATE spans/s per generating worker, BENCH_WORKERS_PER_SENDER workers each (default 4),
// for BENCH_SECONDS, BENCH_BATCH spans a request, BENCH_ROUNDS fresh
// processes; BENCH_BASELINE=<checkout> interleaves that checkout's llmp start, A B A B;
// BENCH_YAML / BENCH_BASELINE_YAML append config to each, e.g. to compare a setting).
if (wanted.has('telemetrygen-all-in-one')) {
  report(
    await telemetrygenAllInOneScenario({
      senders: Number(process.env.BENCH_WORKERS ?? 4),
      rate: Number(process.env.BENCH_RATE ?? 12_500),
      seconds: Number(process.env.BENCH_SECONDS ?? 15),
      batchSize: Number(process.env.BENCH_BATCH ?? 512),
      workersPerSender: Number(process.env.BENCH_WORKERS_PER_SENDER ?? 4),
      rounds: Number(process.env.BENCH_ROUNDS ?? 3),
      baselineRoot: process.env.BENCH_BASELINE,
      extraYaml: { this: process.env.BENCH_YAML, baseline: process.env.BENCH_BASELINE_YAML },
    }),
  );
}
if (run('distributed')) for (const r of await distributedScenario({ seconds })) report(r);
if (run('query'))
  report(
    await queryScenario({
      rows,
      keptStore: process.env.BENCH_QUERY_STORE,
      jobSpans: process.env.BENCH_JOB_SPANS === 'root' ? 'root' : 'all',
      rounds: Number(process.env.BENCH_ROUNDS ?? 20),
      baselineRoot: process.env.BENCH_BASELINE,
      only: process.env.BENCH_QUERY_ROUTES?.split(','),
    }),
  );
// Only when named: traces of 30 000 and 100 000 spans through llmp start (BENCH_HUGE_SIZES, comma list).
// BENCH_BASELINE=<checkout> interleaves that checkout's llmp start, A B A B, for BENCH_ROUNDS (default 1) rounds.
if (wanted.has('huge-trace')) {
  const sides = process.env.BENCH_BASELINE ? [undefined, process.env.BENCH_BASELINE] : [undefined];
  for (let round = 0; round < Number(process.env.BENCH_ROUNDS ?? 1); round++) {
    for (const root of sides) {
      report(
        await hugeTraceScenario({
          sizes: (process.env.BENCH_HUGE_SIZES ?? '30000,100000').split(',').map(Number),
          maxMemory: process.env.BENCH_MAX_MEMORY ?? '1GiB',
          root,
        }),
      );
    }
  }
}
// It starts llmp six times.
if (wanted.has('mlflow-down')) {
  report(await mlflowScenario({ seconds, rounds: Number(process.env.BENCH_ROUNDS ?? 3) }));
}
if (wanted.has('embedded-memory')) {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  for (const r of await embeddedMemoryScenario({ seconds, rounds })) report(r);
}
if (wanted.has('gateway-hot-path')) {
  report(gatewayHotPathScenario({ rounds: Number(process.env.BENCH_ROUNDS ?? 7) }));
}
if (wanted.has('ingester-node')) {
  report(await ingesterNodeScenario({ rounds: Number(process.env.BENCH_ROUNDS ?? 7) }));
}
if (wanted.has('kafka-consumers')) {
  const records = Number(process.env.BENCH_RECORDS ?? 100_000);
  for (const r of await consumerClientsScenario({ records, rounds: Number(process.env.BENCH_ROUNDS ?? 2) })) {
    report(r);
  }
}
if (wanted.has('validation-script')) {
  report(await validationScriptScenario({ rounds: Number(process.env.BENCH_ROUNDS ?? 7) }));
}
// Only when named: the embedded engine alone, payloads built before the clock (BENCH_SECONDS each);
if (wanted.has('engine-ceiling')) {
  // BENCH_CASES=small:2048,… picks cases; BENCH_SERVER_SETTINGS='{"name":value}' starts the engine with them.
  const serverSettings = JSON.parse(process.env.BENCH_SERVER_SETTINGS ?? '{}') as Record<
    string,
    string | number
  >;
  const only = process.env.BENCH_CASES?.split(',');
  for (const row of await engineCeilingScenario({
    seconds: Number(process.env.BENCH_SECONDS ?? 15),
    only,
    serverSettings,
  }))
    report(row);
}
if (wanted.has('ui')) {
  report(
    await uiScenario({
      spans: Number(process.env.BENCH_SPANS ?? 30_000),
      rounds: Number(process.env.BENCH_ROUNDS ?? 7),
      apiKeys: process.env.BENCH_UI_API_KEYS === '1',
    }),
  );
}
if (wanted.has('insert-costs')) {
  for (const row of await insertCostsScenario()) report({ scenario: 'insert-costs', ...row });
}
if (wanted.has('insert-breakdown')) {
  const only = (process.env.BENCH_VARIANTS ?? '').split(',').filter((v) => v !== '');
  const rounds = Number(process.env.BENCH_ROUNDS ?? 1);
  for (const row of await insertBreakdownScenario({ only, rounds }))
    report({ scenario: 'insert-breakdown', ...row });
}
if (wanted.has('insert-formats')) {
  for (const row of await insertFormatsScenario()) report({ scenario: 'insert-formats', ...row });
}

const dir = fileURLToPath(new URL('../results/', import.meta.url));
mkdirSync(dir, { recursive: true });
const file = `${dir}${started.replace(/[:.]/g, '-')}.json`;
writeFileSync(file, `${JSON.stringify({ machine: machine(), started, seconds, rows, results }, null, 2)}\n`);
process.stdout.write(`\nresults: ${file}\n`);
