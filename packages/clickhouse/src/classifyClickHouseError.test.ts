import { describe, expect, it } from 'vitest';
import { classifyClickHouseError } from './classifyClickHouseError.ts';

/** Shaped like @clickhouse/client's ClickHouseError: the server's code as a decimal string. */
function clickHouseError(code: string, message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code, type: 'X' });
}

describe('classifyClickHouseError', () => {
  it('makes a data error (code 27) permanent', () => {
    const cause = clickHouseError('27', 'Cannot parse input: expected "," before: "x"');
    const error = classifyClickHouseError(cause, 'insert into spans');
    expect(error.kind).toBe('permanent');
    expect(error.reason).toBeUndefined();
    expect(error.message).toBe('insert into spans failed: Cannot parse input: expected "," before: "x"');
    expect(error.cause).toBe(cause);
  });

  it.each([6, 53, 117, 349])('makes data error code %d permanent, as a number too', (code) => {
    expect(classifyClickHouseError({ code, message: 'bad' }, 'insert').kind).toBe('permanent');
    expect(classifyClickHouseError({ clickhouseCode: String(code), message: 'bad' }, 'insert').kind).toBe(
      'permanent',
    );
  });

  it('makes a memory limit error (code 241) retryable', () => {
    const error = classifyClickHouseError(
      clickHouseError('241', 'Memory limit exceeded'),
      'insert into spans',
    );
    expect(error).toMatchObject({ kind: 'retryable', reason: 'unavailable', retryAfterMs: 1000 });
  });

  it('makes errors without a ClickHouse code retryable', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8123'), { code: 'ECONNREFUSED' });
    expect(classifyClickHouseError(refused, 'insert').kind).toBe('retryable');
    expect(classifyClickHouseError(new Error('Timeout error.'), 'insert').kind).toBe('retryable');
    const weird = classifyClickHouseError('plain text', 'insert');
    expect(weird.kind).toBe('retryable');
    expect(weird.message).toBe('insert failed: plain text');
    expect(classifyClickHouseError(undefined, 'ping').kind).toBe('retryable');
  });

  it('does not classify by message text', () => {
    const error = classifyClickHouseError(new Error('Code: 27. DB::Exception: Cannot parse input'), 'insert');
    expect(error.kind).toBe('retryable');
  });
});
