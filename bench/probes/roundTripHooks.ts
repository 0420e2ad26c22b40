// Loaded into `llmp start` with `--import` (roundTrip.ts): a timeline of every OTLP/gRPC request and
// every engine statement, written as JSON to ROUND_TRIP_OUT on exit. Sources: node:http2's
// diagnostics channels (a call's HEADERS, its request's END_STREAM, its answer written; calls keyed
// by connection, i.e. by sender), chdb's native async call (wrapped once the binding is loaded:
// loading it here would change the order the store sets its allocator's options in), chdb's
// Session methods (the call, before chdb's process-wide chain of parameterized queries), the
// payload file write, the event loop's delay.
import { subscribe } from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

export interface Call {
  connection: number;
  headers: number;
  bodyEnd?: number;
  answered?: number;
  /** The main thread's CPU ms (user + system) at END_STREAM. */
  bodyEndCpu?: number;
}
export interface Statement {
  sql: string;
  called?: number;
  started: number;
  ended?: number;
  /** The main thread's CPU ms at the start and at the end (the promise settling on it). */
  startedCpu?: number;
  endedCpu?: number;
}
/** CPU ms of the main thread so far (where these hooks run). */
const mainCpu = () => {
  const { user, system } = process.threadCpuUsage();
  return (user + system) / 1000;
};
const calls: Call[] = [];
const statements: Statement[] = [];
const payloadWrites: { started: number; ended?: number; bytes: number; startedCpu: number }[] = [];
const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();

const connections = new WeakMap<object, number>();
let connectionCount = 0;
const byStream = new WeakMap<object, Call>();
subscribe('http2.server.stream.created', (message) => {
  const stream = (message as { stream: import('node:http2').ServerHttp2Stream }).stream;
  const session = stream.session as object;
  let connection = connections.get(session);
  if (connection === undefined) {
    connection = connectionCount++;
    connections.set(session, connection);
  }
  const call: Call = { connection, headers: performance.now() };
  calls.push(call);
  byStream.set(stream, call);
  stream.once('end', () => {
    call.bodyEnd = performance.now();
    call.bodyEndCpu = mainCpu();
  });
});
subscribe('http2.server.stream.finish', (message) => {
  const call = byStream.get((message as { stream: object }).stream);
  if (call) call.answered = performance.now();
});

// The payload file of each INSERT (insertRowBinary writes it just before the statement).
const require = createRequire(import.meta.url);
const fsPromises = require('node:fs/promises') as typeof import('node:fs/promises');
const writeFile = fsPromises.writeFile;
(fsPromises as { writeFile: typeof writeFile }).writeFile = (async (path, data, options) => {
  if (typeof path !== 'string' || !path.endsWith('.rowbinary')) return writeFile(path, data, options);
  const entry = {
    startedCpu: mainCpu(),
    started: performance.now(),
    bytes: (data as Uint8Array).byteLength,
    ended: undefined as number | undefined,
  };
  payloadWrites.push(entry);
  try {
    return await writeFile(path, data, options);
  } finally {
    entry.ended = performance.now();
  }
}) as typeof writeFile;
syncBuiltinESMExports();

/** Call times of Session methods, by the SQL string they pass on (the same string object). */
const calledAt = new Map<string, number[]>();
const poll = setInterval(() => {
  const keys = Object.keys(require.cache);
  const native = keys.find((k) => k.includes('chdb') && k.endsWith('.node'));
  const index = keys.find((k) => /\/chdb\/index\.js$/.test(k));
  if (!native || !index) return;
  clearInterval(poll);
  const binding = require.cache[native]!.exports as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const session = (require.cache[index]!.exports as { Session: { prototype: Record<string, unknown> } })
    .Session.prototype;
  for (const method of ['queryAsync', 'queryBindAsync']) {
    const original = session[method] as (sql: string, ...rest: unknown[]) => Promise<unknown>;
    session[method] = function (this: unknown, sql: string, ...rest: unknown[]) {
      const list = calledAt.get(sql) ?? [];
      list.push(performance.now());
      calledAt.set(sql, list);
      return original.call(this, sql, ...rest);
    };
  }
  for (const name of ['QueryAsyncConnection', 'QueryAsync']) {
    const original = binding[name];
    if (typeof original !== 'function') continue;
    binding[name] = (...args: unknown[]) => {
      const sql = String(args[name === 'QueryAsync' ? 0 : 1]);
      const list = calledAt.get(sql);
      const called = list?.shift();
      if (list && list.length === 0) calledAt.delete(sql);
      const statement: Statement = {
        sql: sql.replace(/^(SET [^;]*; )+/, '').slice(0, 160),
        started: performance.now(),
        startedCpu: mainCpu(),
      };
      if (called !== undefined) statement.called = called;
      statements.push(statement);
      const result = original(...args);
      const done = () => {
        statement.ended = performance.now();
        statement.endedCpu = mainCpu();
      };
      result.then(done, done);
      return result;
    };
  }
}, 2);
poll.unref();

process.on('exit', () => {
  const out = process.env.ROUND_TRIP_OUT;
  if (!out) return;
  writeFileSync(
    out,
    JSON.stringify({
      calls,
      statements,
      payloadWrites,
      eventLoopDelayMs: {
        p50: loop.percentile(50) / 1e6,
        p99: loop.percentile(99) / 1e6,
        max: loop.max / 1e6,
        mean: loop.mean / 1e6,
      },
    }),
  );
});
