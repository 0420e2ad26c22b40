/** The groups of `/docs`, in the order shown. */
export const openApiTags = [
  { name: 'traces', description: 'Read, search and delete traces' },
  { name: 'spans', description: 'Search spans' },
  { name: 'metrics', description: 'Aggregates over spans: counts, errors, latency, tokens, cost' },
  { name: 'sessions', description: 'Traces grouped by session or end user' },
  { name: 'logs', description: 'OTLP log records (GenAI events among them)' },
  { name: 'otel-metrics', description: 'OTLP metric data points (sums, gauges, histograms, summaries)' },
  { name: 'jobs', description: 'LLMP jobs: definitions, versions, lifecycle, events, runs' },
  { name: 'templates', description: 'Reusable job definitions' },
  { name: 'compatibility', description: 'Calls kept for existing clients' },
  { name: 'health', description: 'Liveness and readiness' },
];

function tagOf(path: string): string {
  if (path.startsWith('/v1/traces')) return 'traces';
  if (path.startsWith('/v1/spans')) return 'spans';
  if (path.startsWith('/v1/metrics')) return 'metrics';
  if (path.startsWith('/v1/sessions')) return 'sessions';
  if (path.startsWith('/v1/logs')) return 'logs';
  if (path.startsWith('/v1/otel-metrics')) return 'otel-metrics';
  if (path.startsWith('/v1/jobs')) return 'jobs';
  if (path.startsWith('/v1/templates')) return 'templates';
  if (path.startsWith('/api/')) return 'compatibility';
  return 'health';
}

type Paths = Record<string, Record<string, object>>;

/**
 * An OpenAPI document whose operations each carry the tag of their resource, so Swagger UI
 * groups them (traces, spans, metrics, jobs …) instead of listing all under "default".
 * @example app.get('/openapi.json', (c) => c.json(taggedDocument(document)));
 */
export function taggedDocument<D extends { paths: object }>(document: D): D & { tags: typeof openApiTags } {
  const paths: Paths = {};
  for (const [path, operations] of Object.entries(document.paths as Paths)) {
    paths[path] = Object.fromEntries(
      Object.entries(operations).map(([method, operation]) => [
        method,
        { tags: [tagOf(path)], ...operation },
      ]),
    );
  }
  return { ...document, tags: openApiTags, paths } as D & { tags: typeof openApiTags };
}
