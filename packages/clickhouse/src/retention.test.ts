import { describe, expect, it } from 'vitest';
import { retentionConfig, ttlExpression } from './retention.ts';

describe('ttlExpression', () => {
  it('keeps trace_job_usage, the trace range look-up of trace reads, as long as spans when spans stay longer', () => {
    const config = retentionConfig.parse({ spans: '90d', traces: '30d' });
    expect(ttlExpression('trace_job_usage', config)).toBe('toDateTime(start) + toIntervalDay(90)');
    expect(ttlExpression('trace_search', config)).toBe('toDateTime(start) + toIntervalDay(30)');
  });

  it('keeps trace_job_usage as long as traces when traces stay longer, and forever when either does', () => {
    expect(ttlExpression('trace_job_usage', retentionConfig.parse({ spans: '12h', traces: '2w' }))).toBe(
      'toDateTime(start) + toIntervalDay(14)',
    );
    expect(ttlExpression('trace_job_usage', retentionConfig.parse({ spans: '30d' }))).toBeUndefined();
    expect(ttlExpression('trace_job_usage', retentionConfig.parse({ traces: '30d' }))).toBeUndefined();
  });
});
