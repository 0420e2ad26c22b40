import { describe, expect, it } from 'vitest';
import { newestFirstWhere } from './newestFirstWhere.ts';

describe('newestFirstWhere', () => {
  it('bounds the project and time range, reads one row more than the page, and binds every value', () => {
    const { where, params, equal, continueAfter } = newestFirstWhere(
      'TimeUnix',
      'p1',
      { fromNs: 10n, toNs: 2n ** 63n - 1n },
      50,
    );
    equal('ServiceName', 'service', 'checkout');
    equal('job_id', 'jobId', undefined);
    continueAfter('cityHash64(MetricName)', undefined);
    expect(where).toEqual([
      'project_id = {projectId:String}',
      'TimeUnix >= fromUnixTimestamp64Nano({fromNs:Int64})',
      'TimeUnix < fromUnixTimestamp64Nano({toNs:Int64})',
      'ServiceName = {service:String}',
    ]);
    expect(params).toEqual({
      projectId: 'p1',
      fromNs: '10',
      toNs: '9223372036854775807',
      limit: 51,
      service: 'checkout',
    });
  });

  it('continues strictly after a position in (time, row key) order', () => {
    const { where, params, continueAfter } = newestFirstWhere('Timestamp', 'p1', { fromNs: 0n, toNs: 1n }, 1);
    continueAfter('cityHash64(Body)', ['1700000000000000000', '42']);
    expect(where.at(-1)).toBe(
      '(toUnixTimestamp64Nano(Timestamp), cityHash64(Body)) < ({afterNs:Int64}, {afterKey:UInt64})',
    );
    expect(params).toMatchObject({ afterNs: '1700000000000000000', afterKey: '42' });
  });
});
