import { describe, expect, it } from 'vitest';
import { type EventMessages, withEventMessages } from './eventMessages.ts';
import { batch, span, str } from './testBatches.ts';
import { traceUploads } from './traceUploads.ts';

const experiments = { default: 'llmp', projects: {}, jobs: {} };
const trace = 'a'.repeat(32);
const messages = {
  'gen_ai.input.messages': '[{"role":"user","parts":[{"type":"text","content":"hi"}]}]',
  'gen_ai.output.messages': '[{"role":"assistant","parts":[{"type":"text","content":"hello"}]}]',
};

/** A look-up that records what it was asked and answers every span id with the messages. */
function lookUp(spanIds: string[]) {
  const asked: Array<[string, string[]]> = [];
  const eventMessages: EventMessages = async (projectId, traceIds) => {
    asked.push([projectId, traceIds]);
    return new Map(spanIds.map((id) => [id, messages]));
  };
  return { asked, eventMessages };
}

const attributesOf = (upload: ReturnType<typeof traceUploads>[number]) =>
  Object.fromEntries(
    upload.request.resourceSpans[0]!.scopeSpans[0]!.spans.map((s) => [
      s.spanId,
      Object.fromEntries(s.attributes.map((a) => [a.key, a.value.type === 'string' ? a.value.value : '?'])),
    ]),
  );

describe('withEventMessages', () => {
  it('gives spans without text the messages of their event records, keeping what a span carries', async () => {
    const uploads = traceUploads(
      batch([
        span(trace, '1'.repeat(16), '', [str('gen_ai.operation.name', 'chat')]),
        // Its own OpenInference input stays; only the output comes from the records.
        span(trace, '2'.repeat(16), '1'.repeat(16), [str('input.value', 'own question')]),
        // Both its own: untouched.
        span(trace, '3'.repeat(16), '1'.repeat(16), [
          str('gen_ai.input.messages', '[]'),
          str('gen_ai.output.messages', '[]'),
        ]),
      ]),
      experiments,
    );
    const { asked, eventMessages } = lookUp(['1'.repeat(16), '2'.repeat(16), '3'.repeat(16)]);
    await withEventMessages(uploads, eventMessages);
    expect(asked).toEqual([['default', [trace]]]);
    const attributes = attributesOf(uploads[0]!);
    expect(attributes['1'.repeat(16)]).toMatchObject(messages);
    expect(attributes['2'.repeat(16)]!['gen_ai.input.messages']).toBeUndefined();
    expect(attributes['2'.repeat(16)]!['gen_ai.output.messages']).toBe(messages['gen_ai.output.messages']);
    expect(attributes['3'.repeat(16)]).toMatchObject({
      'gen_ai.input.messages': '[]',
      'gen_ai.output.messages': '[]',
    });
    // Sent again (a retry), nothing is added twice.
    await withEventMessages(uploads, eventMessages);
    const keys = uploads[0]!.request.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.attributes.map((a) => a.key);
    expect(keys.filter((k) => k === 'gen_ai.input.messages')).toHaveLength(1);
  });

  it('does not look up traces whose spans all carry their own text', async () => {
    const uploads = traceUploads(
      batch([span(trace, '1'.repeat(16), '', [str('input.value', 'q'), str('output.value', 'a')])]),
      experiments,
    );
    const { asked, eventMessages } = lookUp(['1'.repeat(16)]);
    await withEventMessages(uploads, eventMessages);
    expect(asked).toEqual([]);
  });
});
