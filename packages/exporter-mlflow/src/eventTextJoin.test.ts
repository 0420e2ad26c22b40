import { describe, expect, it } from 'vitest';
import { eventTextJoin } from './eventTextJoin.ts';
import { batch, span, str } from './testBatches.ts';
import { traceUploads } from './traceUploads.ts';

const trace = 'a'.repeat(32);
const llm = '1'.repeat(16);
const tool = '2'.repeat(16);
const experiments = { default: 'llmp', projects: {}, jobs: {} };
const text = {
  'gen_ai.input.messages': '[{"role":"user"}]',
  'gen_ai.output.messages': '[{"role":"assistant"}]',
};

const uploadsOf = (...spans: ReturnType<typeof span>[]) => traceUploads(batch(spans), experiments);
const spanIds = (uploads: ReturnType<typeof uploadsOf>) =>
  uploads.flatMap((u) =>
    u.request.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => s.spanId))),
  );

describe('eventTextJoin', () => {
  it('records after the span: answers the held span without text to send again, not the one with text', () => {
    const join = eventTextJoin({ maxHeld: 10 });
    const withText = span(trace, tool, llm, [str('input.value', 'x'), str('output.value', 'y')]);
    expect(join.sent(uploadsOf(span(trace, llm, ''), withText))).toEqual([]);
    const again = join.records('default', new Map([[trace, new Map([[llm, text]])]]));
    expect(spanIds(again)).toEqual([llm]);
    expect(again[0]!.traceId).toBe(trace);
  });

  it('records before the span: holds their messages for it, and lets them go once it is sent with them', () => {
    const join = eventTextJoin({ maxHeld: 10 });
    expect(join.records('default', new Map([[trace, new Map([[llm, text]])]]))).toEqual([]);
    expect(join.messages('default', [trace]).get(llm)).toEqual(text);
    const sent = span(trace, llm, '', [
      str('gen_ai.input.messages', text['gen_ai.input.messages']),
      str('gen_ai.output.messages', text['gen_ai.output.messages']),
    ]);
    expect(join.sent(uploadsOf(sent))).toEqual([]);
    expect(join.stats()).toEqual({ spans: 0, messages: 0 });
  });

  it('records read while the span was on its way without them: the span is answered to send again', () => {
    const join = eventTextJoin({ maxHeld: 10 });
    join.records('default', new Map([[trace, new Map([[llm, text]])]]));
    expect(spanIds(join.sent(uploadsOf(span(trace, llm, ''))))).toEqual([llm]);
  });

  it('forgets the oldest traces past maxHeld and counts what it forgot', () => {
    const forgotten: Array<[string, number]> = [];
    const join = eventTextJoin({ maxHeld: 2, onForgotten: (held, n) => forgotten.push([held, n]) });
    for (const t of ['b', 'c', 'd']) join.sent(uploadsOf(span(t.repeat(32), llm, '')));
    expect(join.stats().spans).toBe(2);
    expect(forgotten).toEqual([['spans', 1]]);
    expect(join.records('default', new Map([['b'.repeat(32), new Map([[llm, text]])]]))).toEqual([]);
  });
});
