import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** What Google's parser made of one input: refused, or these spans (see googleProtobufPeer.py). */
export type GoogleVerdict =
  | { ok: false }
  | { ok: true; spans: Array<[string, string, string, number, string[], number, number]> };

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const script = fileURLToPath(new URL('./googleProtobufPeer.py', import.meta.url));

/**
 * The Python with Google's `protobuf` and `opentelemetry-proto` packages: LLMP_PROTOBUF_PYTHON,
 * the venv `.ci/run` installs into .tools/otlp-proto, or undefined.
 */
export function googleProtobufPython(): string | undefined {
  const candidates = [process.env.LLMP_PROTOBUF_PYTHON, `${repoRoot}.tools/otlp-proto/bin/python`];
  return candidates.find((path): path is string => !!path && existsSync(path));
}

/**
 * Asks Google's parser about each input, in one Python process.
 * @example const [verdict] = googleProtobufVerdicts(python, [bytes]);
 */
export function googleProtobufVerdicts(python: string, inputs: Uint8Array[]): GoogleVerdict[] {
  const input = inputs.map((bytes) => Buffer.from(bytes).toString('hex')).join('\n');
  const run = spawnSync(python, [script], { input: `${input}\n`, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (run.status !== 0) throw new Error(`googleProtobufPeer.py failed: ${run.stderr}`);
  const lines = run.stdout.trim().split('\n');
  if (lines.length !== inputs.length)
    throw new Error(`expected ${inputs.length} verdicts, got ${lines.length}`);
  return lines.map((line) => JSON.parse(line) as GoogleVerdict);
}
