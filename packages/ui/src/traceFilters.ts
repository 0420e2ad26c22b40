/** The trace list's filters as the page URL keeps them (so a filtered list can be bookmarked). */
export interface TraceFilters {
  /** A window back from now: one of `ranges`. */
  range: string;
  service: string;
  jobId: string;
  model: string;
  status: '' | 'ok' | 'error' | 'unset';
  minDurationMs: string;
  maxDurationMs: string;
  /** `key=value`: one span attribute that must match. */
  attribute: string;
  sessionId: string;
  userId: string;
  sort: 'startTime' | 'duration';
  order: 'desc' | 'asc';
}

/** Time windows the list offers, in seconds. */
export const ranges: Record<string, number> = {
  '15m': 900,
  '1h': 3600,
  '6h': 21_600,
  '24h': 86_400,
  '7d': 604_800,
  '30d': 2_592_000,
};

export const defaultFilters: TraceFilters = {
  range: '24h',
  service: '',
  jobId: '',
  model: '',
  status: '',
  minDurationMs: '',
  maxDurationMs: '',
  attribute: '',
  sessionId: '',
  userId: '',
  sort: 'startTime',
  order: 'desc',
};

const keys = Object.keys(defaultFilters) as Array<keyof TraceFilters>;

/**
 * Filters from a page URL's query string; unknown or invalid values fall back to the defaults.
 * @example filtersFromSearch('?service=checkout&status=error')
 */
export function filtersFromSearch(search: string): TraceFilters {
  const params = new URLSearchParams(search);
  const filters: TraceFilters = { ...defaultFilters };
  for (const key of keys) {
    const value = params.get(key);
    if (value !== null) (filters as unknown as Record<string, string>)[key] = value.trim();
  }
  if (!(filters.range in ranges)) filters.range = defaultFilters.range;
  if (!['', 'ok', 'error', 'unset'].includes(filters.status)) filters.status = '';
  if (filters.sort !== 'duration') filters.sort = 'startTime';
  if (filters.order !== 'asc') filters.order = 'desc';
  return filters;
}

/**
 * The page URL's query string for filters: only what differs from the defaults.
 * @example searchFromFilters({ ...defaultFilters, model: 'gpt-4o' }) // '?model=gpt-4o'
 */
export function searchFromFilters(filters: TraceFilters): string {
  const params = new URLSearchParams();
  for (const key of keys) if (filters[key] !== defaultFilters[key]) params.set(key, filters[key]);
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

/**
 * The `GET /v1/traces` query string for filters at `nowMs`, with the page size and cursor.
 * @example traceSearchQuery(defaultFilters, Date.now(), { limit: 100 })
 */
export function traceSearchQuery(
  filters: TraceFilters,
  nowMs: number,
  { limit = 100, cursor }: { limit?: number; cursor?: string | undefined } = {},
): string {
  const params = new URLSearchParams();
  const seconds = ranges[filters.range] ?? ranges['24h']!;
  params.set('from', new Date(nowMs - seconds * 1000).toISOString());
  params.set('to', new Date(nowMs).toISOString());
  if (filters.service) params.set('service', filters.service);
  if (filters.jobId) params.set('jobId', filters.jobId);
  if (filters.model) params.set('model', filters.model);
  if (filters.status) params.set('status', filters.status);
  if (filters.minDurationMs) params.set('minDurationMs', filters.minDurationMs);
  if (filters.maxDurationMs) params.set('maxDurationMs', filters.maxDurationMs);
  if (filters.sessionId) params.set('sessionId', filters.sessionId);
  if (filters.userId) params.set('userId', filters.userId);
  const eq = filters.attribute.indexOf('=');
  if (eq > 0)
    params.set(`attr.${filters.attribute.slice(0, eq).trim()}`, filters.attribute.slice(eq + 1).trim());
  params.set('sort', filters.sort);
  params.set('order', filters.order);
  params.set('limit', String(limit));
  if (cursor) params.set('cursor', cursor);
  return params.toString();
}
