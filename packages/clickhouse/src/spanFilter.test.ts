import { describe, expect, it } from 'vitest';
import { isDimensionFilter, QueryParams, spanFilterSql } from './spanFilter.ts';

const hostile = "x' OR 1=1 -- }{p0:String} \\' ]";

describe('spanFilterSql', () => {
  it('binds every value as a query parameter and never writes it into the SQL', () => {
    const params = new QueryParams();
    const where = spanFilterSql(
      hostile,
      {
        fromNs: 1n,
        toNs: 2n,
        service: hostile,
        spanName: hostile,
        jobId: hostile,
        jobVersion: hostile,
        model: hostile,
        provider: hostile,
        spanType: hostile,
        status: 'error',
        minDurationNs: 5n,
        maxDurationNs: 9n,
        sessionId: hostile,
        userId: hostile,
        attributes: [[hostile, hostile]],
      },
      params,
      { database: 'llmp' },
    );
    const sql = where.join(' AND ').replace(/\s+/g, ' ');
    expect(sql).not.toContain("x'");
    expect(sql).not.toContain('1=1');
    // Only placeholders of the form {pN:Type} and fixed column names appear.
    expect(sql.replace(/\{p\d+:[A-Za-z0-9]+\}/g, '?')).toBe(
      [
        'project_id = ?',
        "Timestamp >= fromUnixTimestamp64Nano(?, 'UTC')",
        "Timestamp < fromUnixTimestamp64Nano(?, 'UTC')",
        'ServiceName = ?',
        'SpanName = ?',
        'gen_ai_provider = ?',
        "if(span_type = '', 'other', span_type) = ?",
        '(gen_ai_request_model = ? OR gen_ai_response_model = ?)',
        'StatusCode = ?',
        // The job: named by the span, else by its trace's first link.
        "((job_id != '' AND job_id = ? AND job_version = ?) OR (job_id = '' AND TraceId IN (" +
          'SELECT TraceId FROM `llmp`.trace_jobs WHERE project_id = ? AND TraceId IN ' +
          '(SELECT TraceId FROM `llmp`.trace_jobs WHERE project_id = ? AND job_id = ?) ' +
          'GROUP BY TraceId HAVING argMin(job_id, Start) = ? AND argMin(job_version, Start) = ?)))',
        'session_id = ?',
        'user_id = ?',
        'Duration >= ?',
        'Duration <= ?',
        'SpanAttributes[?] = ?',
      ].join(' AND '),
    );
    expect(Object.values(params.values).filter((v) => v === hostile)).toHaveLength(12);
    expect(params.values).toMatchObject({ p1: '1', p2: '2' });
    expect(Object.values(params.values)).toContain('Error');
  });

  it('leaves duration bounds out when asked (trace search applies them per trace)', () => {
    const where = spanFilterSql('p', { fromNs: 0n, toNs: 1n, minDurationNs: 5n }, new QueryParams(), {
      database: 'llmp',
      withDuration: false,
    });
    expect(where.join(' ')).not.toContain('Duration');
  });

  it('knows which filters the metrics rollup keeps as columns', () => {
    const range = { fromNs: 0n, toNs: 1n };
    const kept = { service: 's', spanName: 'n', jobId: 'j', jobVersion: '1', model: 'm', provider: 'p' };
    expect(isDimensionFilter({ ...range, ...kept, spanType: 'llm', status: 'error', attributes: [] })).toBe(
      true,
    );
    for (const other of [
      { minDurationNs: 0n },
      { maxDurationNs: 9n },
      { sessionId: 's' },
      { userId: 'u' },
      { attributes: [['k', 'v']] as Array<[string, string]> },
    ]) {
      expect(isDimensionFilter({ ...range, ...kept, ...other })).toBe(false);
    }
  });
});
