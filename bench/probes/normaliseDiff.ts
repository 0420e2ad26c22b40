// normaliseSpan of this checkout against /work/main's (main with its node_modules) on loadgen spans.
import { isDeepStrictEqual } from 'node:util';
import { encodeRequests } from '@llmp/loadgen';
import { normaliseSpan as before } from '/work/main/packages/genai/src/normaliseSpan.ts';
import { normaliseSpan as after } from '../../packages/genai/src/normaliseSpan.ts';
import { decodeProtobufRequest } from '../../packages/otlp/src/decodeProtobuf.ts';

let n = 0,
  diff = 0;
for (const { body } of encodeRequests('grpc', { count: 300, tracesPerRequest: 20 })) {
  for (const rs of decodeProtobufRequest(body).resourceSpans)
    for (const ss of rs.scopeSpans)
      for (const s of ss.spans) {
        n++;
        for (const o of [{}, { maxTextChars: 50 }])
          if (!isDeepStrictEqual(before(s.attributes, o), after(s.attributes, o))) diff++;
      }
}
console.log({ spans: n, diff });
