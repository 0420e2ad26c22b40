import { describe, expect, it } from 'vitest';
import { decodeProtobufResponse, encodeProtobufResponse, jsonResponse } from './exportResponse.ts';
import { protoTypes } from './protoTypes.ts';

describe('encodeProtobufResponse / decodeProtobufResponse', () => {
  it('encodes a full success as an empty response', () => {
    const bytes = encodeProtobufResponse({ rejectedSpans: 0, errorMessage: '' });
    expect(bytes).toHaveLength(0);
    expect(decodeProtobufResponse(bytes)).toEqual({ rejectedSpans: 0, errorMessage: '' });
  });

  it('encodes rejected spans as partial_success', () => {
    const outcome = { rejectedSpans: 3, errorMessage: '3 span(s) rejected: …' };
    const bytes = encodeProtobufResponse(outcome);
    expect(decodeProtobufResponse(bytes)).toEqual(outcome);
    const { response } = protoTypes();
    const message = response.toObject(response.decode(bytes), { longs: String }) as {
      partialSuccess?: { rejectedSpans?: string; errorMessage?: string };
    };
    expect(message.partialSuccess).toEqual({ rejectedSpans: '3', errorMessage: '3 span(s) rejected: …' });
  });

  it('sets partial_success for a warning without rejected spans', () => {
    const outcome = { rejectedSpans: 0, errorMessage: 'attributes truncated' };
    const bytes = encodeProtobufResponse(outcome);
    expect(bytes.length).toBeGreaterThan(0);
    expect(decodeProtobufResponse(bytes)).toEqual(outcome);
  });

  it('keeps large counts', () => {
    const outcome = { rejectedSpans: 2 ** 40, errorMessage: 'many' };
    expect(decodeProtobufResponse(encodeProtobufResponse(outcome))).toEqual(outcome);
  });
});

describe('jsonResponse', () => {
  it('is an empty object on full success', () => {
    expect(jsonResponse({ rejectedSpans: 0, errorMessage: '' })).toEqual({});
  });

  it('has partialSuccess with rejectedSpans as a decimal string otherwise', () => {
    expect(jsonResponse({ rejectedSpans: 1, errorMessage: 'bad span' })).toEqual({
      partialSuccess: { rejectedSpans: '1', errorMessage: 'bad span' },
    });
    expect(jsonResponse({ rejectedSpans: 0, errorMessage: 'warning' })).toEqual({
      partialSuccess: { rejectedSpans: '0', errorMessage: 'warning' },
    });
  });
});
