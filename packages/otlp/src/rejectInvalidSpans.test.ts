import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rejectInvalidSpans, spanProblem } from './rejectInvalidSpans.ts';
import { testSpan, testTraceId } from './testing/traceFixtures.ts';
import type { ResourceSpans, Span, TraceRequest } from './traceModel.ts';
import { countSpans } from './traceModel.ts';

const traceId = testTraceId;

const span = (name: string, overrides: Partial<Span> = {}): Span => testSpan({ name, ...overrides });

function resourceSpans(service: string, ...scopes: Span[][]): ResourceSpans {
  return {
    resource: {
      attributes: [{ key: 'service.name', value: { type: 'string', value: service } }],
      droppedAttributesCount: 0,
    },
    schemaUrl: '',
    scopeSpans: scopes.map((spans, i) => ({
      scope: { name: `scope${i}`, version: '', attributes: [], droppedAttributesCount: 0 },
      schemaUrl: '',
      spans,
    })),
  };
}

const names = (request: TraceRequest) =>
  request.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => s.name)));

describe('spanProblem', () => {
  it('accepts a valid root span and a valid child span', () => {
    expect(spanProblem(span('root'))).toBeUndefined();
    expect(spanProblem(span('child', { parentSpanId: '00f067aa0ba902b7' }))).toBeUndefined();
  });

  it.each([
    ['a short trace id', { traceId: '5b8efff798038103d269b633813fc6' }, /invalid trace id/],
    ['a long trace id', { traceId: `${traceId}00` }, /invalid trace id/],
    ['an empty trace id', { traceId: '' }, /invalid trace id/],
    ['a non-hex trace id', { traceId: 'zz8efff798038103d269b633813fc60c' }, /invalid trace id/],
    ['an all-zero trace id', { traceId: '0'.repeat(32) }, /invalid trace id/],
    ['a short span id', { spanId: 'eee19b7e' }, /invalid span id/],
    ['an empty span id', { spanId: '' }, /invalid span id/],
    ['an all-zero span id', { spanId: '0'.repeat(16) }, /invalid span id/],
    ['a parent id of the wrong length', { parentSpanId: 'abcd' }, /invalid parent span id "abcd"/],
    ['a non-hex parent id', { parentSpanId: 'xxf067aa0ba902b7' }, /invalid parent span id/],
  ] satisfies Array<[string, Partial<Span>, RegExp]>)('rejects %s', (_what, overrides, problem) => {
    expect(spanProblem(span('s', overrides))).toMatch(problem);
  });
});

describe('rejectInvalidSpans', () => {
  it('returns the request itself when every span is valid', () => {
    const request = { resourceSpans: [resourceSpans('a', [span('one'), span('two')])] };
    const screening = rejectInvalidSpans(request);
    expect(screening.accepted).toBe(request);
    expect(screening).toMatchObject({ acceptedSpans: 2, rejectedSpans: 0, errorMessage: '' });
  });

  it('rejects the bad spans with a message and keeps the others', () => {
    const request: TraceRequest = {
      resourceSpans: [
        resourceSpans(
          'a',
          [span('good1'), span('short-trace', { traceId: '5b8e' })],
          [span('zero-span', { spanId: '0000000000000000' })],
        ),
        resourceSpans('b', [span('bad-parent', { parentSpanId: '123' }), span('good2')]),
      ],
    };
    const screening = rejectInvalidSpans(request);
    expect(screening.acceptedSpans).toBe(2);
    expect(screening.rejectedSpans).toBe(3);
    expect(names(screening.accepted)).toEqual(['good1', 'good2']);
    expect(countSpans(screening.accepted)).toBe(2);
    expect(screening.errorMessage).toMatch(/^3 span\(s\) rejected: /);
    expect(screening.errorMessage).toContain('span "short-trace": invalid trace id "5b8e"');
    expect(screening.errorMessage).toContain('span "zero-span": invalid span id "0000000000000000"');
    expect(screening.errorMessage).toContain('span "bad-parent": invalid parent span id "123"');
    expect(screening.errorMessage).not.toContain('more');
    // The scope left without spans is dropped; the resources keep their attributes.
    expect(screening.accepted.resourceSpans.map((rs) => rs.scopeSpans.map((ss) => ss.scope.name))).toEqual([
      ['scope0'],
      ['scope0'],
    ]);
    expect(screening.accepted.resourceSpans[1]!.resource).toEqual(request.resourceSpans[1]!.resource);
    // The input is not modified.
    expect(names(request)).toEqual(['good1', 'short-trace', 'zero-span', 'bad-parent', 'good2']);
  });

  it('drops resources left without spans and says how many problems it did not list', () => {
    const bad = (name: string) => span(name, { traceId: '0'.repeat(32) });
    const request = {
      resourceSpans: [
        resourceSpans('a', [bad('b1'), bad('b2')]),
        resourceSpans('b', [bad('b3'), bad('b4'), bad('b5')]),
      ],
    };
    const screening = rejectInvalidSpans(request);
    expect(screening.accepted).toEqual({ resourceSpans: [] });
    expect(screening.acceptedSpans).toBe(0);
    expect(screening.rejectedSpans).toBe(5);
    expect(screening.errorMessage).toContain('"b1"');
    expect(screening.errorMessage).toContain('"b3"');
    expect(screening.errorMessage).not.toContain('"b4"');
    expect(screening.errorMessage).toMatch(/\(and 2 more\)$/);
  });

  it('handles an empty request', () => {
    expect(rejectInvalidSpans({ resourceSpans: [] })).toEqual({
      accepted: { resourceSpans: [] },
      acceptedSpans: 0,
      rejectedSpans: 0,
      errorMessage: '',
    });
  });

  it('takes as ids exactly the lowercase hex of the right length, non-zero', () => {
    // Lowercase hex of about the right length, now and then with one character around the
    // edges of [0-9a-f] put in.
    const id = (length: number) =>
      fc
        .tuple(
          fc.string({
            unit: fc.constantFrom('0', '9', 'a', 'f'),
            minLength: length - 1,
            maxLength: length + 1,
          }),
          fc.option(fc.tuple(fc.nat(), fc.constantFrom('/', ':', '`', 'g', 'A', 'F', 'é', '٣')), { freq: 2 }),
        )
        .map(([hex, edit]) =>
          edit ? `${hex.slice(0, edit[0] % length)}${edit[1]}${hex.slice((edit[0] % length) + 1)}` : hex,
        );
    const valid = (text: string, length: number) =>
      new RegExp(`^[0-9a-f]{${length}}$`).test(text) && text !== '0'.repeat(length);
    fc.assert(
      fc.property(id(32), id(16), fc.oneof(fc.constant(''), id(16)), (trace, spanId, parent) => {
        const problem = spanProblem(span('s', { traceId: trace, spanId, parentSpanId: parent }));
        const ok = valid(trace, 32) && valid(spanId, 16) && (parent === '' || /^[0-9a-f]{16}$/.test(parent));
        expect(problem === undefined).toBe(ok);
      }),
      { numRuns: 3000 },
    );
  });
});
