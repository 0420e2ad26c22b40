import { describe, expect, it } from 'vitest';
import { defaultFilters, filtersFromSearch, searchFromFilters, traceSearchQuery } from './traceFilters.ts';

describe('trace filters', () => {
  it('round-trips through the page URL, dropping defaults and invalid values', () => {
    const filters = {
      ...defaultFilters,
      service: 'shop',
      status: 'error' as const,
      sort: 'duration' as const,
    };
    expect(filtersFromSearch(searchFromFilters(filters))).toEqual(filters);
    expect(filtersFromSearch('?range=99y&status=bad&order=sideways')).toEqual(defaultFilters);
  });

  it('makes the search API query with the window, filters, attribute and cursor', () => {
    const now = Date.parse('2026-01-02T00:00:00Z');
    const query = new URLSearchParams(
      traceSearchQuery(
        {
          ...defaultFilters,
          range: '1h',
          model: 'gpt-4o',
          attribute: 'tenant = acme',
          minDurationMs: '5',
          sessionId: 's-1',
        },
        now,
        { limit: 20, cursor: 'abc' },
      ),
    );
    expect(Object.fromEntries(query)).toEqual({
      from: '2026-01-01T23:00:00.000Z',
      to: '2026-01-02T00:00:00.000Z',
      model: 'gpt-4o',
      minDurationMs: '5',
      sessionId: 's-1',
      'attr.tenant': 'acme',
      sort: 'startTime',
      order: 'desc',
      limit: '20',
      cursor: 'abc',
    });
  });
});
