import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeProtobufRequest } from './decodeProtobuf.ts';
import { encodeProtobufRequest } from './encodeProtobuf.ts';
import { OtlpDecodeError } from './otlpDecodeError.ts';
import { screenProtobufRequest } from './screenProtobufRequest.ts';
import { arbitraryTraceRequest, framingEdits, mutatedBytes } from './testing/arbitraryTraceRequest.ts';
import {
  type GoogleVerdict,
  googleProtobufPython,
  googleProtobufVerdicts,
} from './testing/googleProtobufPeer.ts';
import { wireRequestBytes } from './wireSpans.ts';

const seed = 20261205;
const python = googleProtobufPython();

/** llmp's verdict on bytes, in the shape googleProtobufPeer.py gives Google's. */
function llmpVerdict(bytes: Uint8Array): GoogleVerdict {
  try {
    const screening = screenProtobufRequest(bytes);
    // What the screening accepts must decode, alone and as the bytes handed on.
    decodeProtobufRequest(wireRequestBytes(screening.accepted));
  } catch (error) {
    expect(error).toBeInstanceOf(OtlpDecodeError);
    return { ok: false };
  }
  const spans = decodeProtobufRequest(bytes).resourceSpans.flatMap((rs) =>
    rs.scopeSpans.flatMap((ss) =>
      ss.spans.map((s): [string, string, string, number, string[], number, number] => [
        s.traceId,
        s.spanId,
        s.name,
        s.kind,
        s.attributes.map((kv) => kv.key),
        s.events.length,
        s.status.code,
      ]),
    ),
  );
  return { ok: true, spans };
}

// Google's parser is the peer: where it accepts, llmp accepts and reads the same spans; where it
// refuses, llmp refuses with a 400, never later in a batch.
describe.skipIf(!python && process.env.CI !== 'true')('protobuf requests as Google reads them', () => {
  it('accepts what Google accepts, refuses what it refuses, and decodes the same spans (20 000 fuzzed inputs)', () => {
    expect(
      python,
      'run .ci/run or make the .tools/otlp-proto venv (pip install opentelemetry-proto)',
    ).toBeDefined();
    const sample = fc.sample(arbitraryTraceRequest(), { numRuns: 40, seed });
    const bodies = fc.oneof(
      ...sample.map((request) => mutatedBytes(encodeProtobufRequest(request), 3)),
      ...sample.map((request) => framingEdits(encodeProtobufRequest(request))),
      fc.uint8Array({ maxLength: 64 }),
    );
    const inputs = fc.sample(bodies, { numRuns: 20_000, seed });
    const google = googleProtobufVerdicts(python!, inputs);
    const disagreements = inputs
      .map((bytes, i) => ({ bytes, google: google[i]!, llmp: llmpVerdict(bytes) }))
      .filter(({ google, llmp }) => JSON.stringify(google) !== JSON.stringify(llmp))
      .map(
        ({ bytes, google, llmp }) =>
          `google ${google.ok}, llmp ${llmp.ok}: ${Buffer.from(bytes).toString('hex')}`,
      );
    expect(disagreements.length, disagreements.slice(0, 2).join('\n')).toBe(0);
    // A Python process reads 20 000 inputs: ~14 s on a loaded 2-core machine, more than the
    // unit project's 20 s default when other suites share the cores.
  }, 90_000);
});
