import { randomBytes } from 'node:crypto';
import { genAiProcessorFactory } from '@llmp/genai';
import { type Span, type TraceBatch, type TraceRequest, traceBatch } from '@llmp/otlp';
import { createLogger } from '@llmp/pipeline';

const str = (key: string, value: string) => ({ key, value: { type: 'string' as const, value } });

/** One telemetrygen-shaped span: a few short attributes, no events, no GenAI fields. */
function smallSpan(traceId: string, parentSpanId: string, name: string, kind: number, at: bigint): Span {
  return {
    traceId,
    spanId: randomBytes(8).toString('hex'),
    traceState: '',
    parentSpanId,
    flags: 1,
    name,
    kind,
    startTimeUnixNano: at,
    endTimeUnixNano: at + 123_000n,
    attributes: [str('net.sock.peer.addr', '1.2.3.4'), str('peer.service', 'telemetrygen-server')],
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: 0, message: '' },
  } as Span;
}

/**
 * Requests of `spansPerRequest` telemetrygen-like spans (a parent and one child per trace, a few
 * short attributes), through the genai processor as `llmp start` has them, `count` spans in all.
 * @example const batches = await smallSpanBatches(20_000, 512);
 */
export async function smallSpanBatches(count: number, spansPerRequest: number): Promise<TraceBatch[]> {
  const out: TraceBatch[] = [];
  const genai = genAiProcessorFactory.create(
    { id: 'genai', logger: createLogger({ level: 'warn' }) },
    genAiProcessorFactory.configSchema.parse({}),
    { consume: async (batch) => void out.push(batch) },
  );
  let at = BigInt(Date.now()) * 1_000_000n;
  for (let made = 0; made < count; made += spansPerRequest) {
    const spans: Span[] = [];
    while (spans.length < spansPerRequest) {
      const traceId = randomBytes(16).toString('hex');
      const parent = smallSpan(traceId, '', 'lets-go', 3, at);
      spans.push(parent, smallSpan(traceId, parent.spanId, 'okey-dokey-0', 2, at + 1000n));
      at += 10_000n;
    }
    const request = {
      resourceSpans: [
        {
          resource: { attributes: [str('service.name', 'telemetrygen')], droppedAttributesCount: 0 },
          scopeSpans: [
            {
              scope: { name: 'telemetrygen', version: '', attributes: [], droppedAttributesCount: 0 },
              spans,
              schemaUrl: '',
            },
          ],
          schemaUrl: '',
        },
      ],
    } as unknown as TraceRequest;
    await genai.consume(traceBatch({ projectId: 'default', request }));
  }
  return out;
}
