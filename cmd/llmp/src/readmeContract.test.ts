import { readFileSync } from 'node:fs';
import { queryApp } from '@llmp/query-api';
import { describe, expect, it } from 'vitest';
import { gatewayConfig, ingesterConfig, mlflowExporterRoleConfig, queryConfig } from './roleConfigs.ts';

// The README is the project's own reference: every Kafka topic a role uses by default and every
// route the query API serves must be named there (issue 21 clean-up: some were missing).
const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

/** Every string under a key `topic` or `deadLetterTopic`, anywhere in a parsed config. */
function topicsIn(value: unknown, found = new Set<string>()): Set<string> {
  if (value === null || typeof value !== 'object') return found;
  for (const [key, inner] of Object.entries(value)) {
    if ((key === 'topic' || key === 'deadLetterTopic') && typeof inner === 'string') found.add(inner);
    else topicsIn(inner, found);
  }
  return found;
}

/** A route as the README writes it: every path parameter as `{}` (`:id` and `{traceId}` alike). */
const normalised = (path: string) => path.replace(/:[A-Za-z]+|\{[A-Za-z]+\}/g, '{}');

describe('README', () => {
  it('names every Kafka topic the roles use by default', () => {
    const topics = topicsIn([
      gatewayConfig.parse({}),
      ingesterConfig.parse({}),
      queryConfig.parse({ kafka: {} }),
      mlflowExporterRoleConfig.parse({ exporters: { mlflow: { trackingUri: 'http://mlflow:5000' } } }),
    ]);
    // The config is where the names come from: spans, logs, metrics, their DLQs, job events.
    expect([...topics]).toEqual(expect.arrayContaining(['otlp_spans', 'otlp_logs_dlq', 'llmp_job_events']));
    const missing = [...topics].filter((topic) => !readme.includes(`\`${topic}\``)).sort();
    expect(missing, 'topics the README does not name').toEqual([]);
  });

  it('names every route of the query API under /v1 and /api', () => {
    const none = async () => [];
    const app = queryApp({
      source: {
        readTrace: none,
        ping: async () => {},
        search: {} as never,
        logs: {} as never,
        metricPoints: {} as never,
        readTraceOutline: none as never,
        readSpan: none as never,
      },
      deletion: { deleteTrace: async () => true, syncState: () => undefined },
      jobs: {} as never,
    });
    // Hono's `:action{pause|resume}` pattern is one route per action.
    const routes = app.routes
      .filter((r) => r.method !== 'ALL' && /^\/(v1|api)\//.test(r.path))
      .flatMap((r) => {
        const [before, alternatives, after] = r.path.split(/:[A-Za-z]+\{([^}]*)\}/);
        return alternatives === undefined
          ? [r.path]
          : alternatives.split('|').map((a) => `${before}${a}${after ?? ''}`);
      });
    expect(routes).toEqual(expect.arrayContaining(['/v1/jobs/:id/logs', '/v1/jobs/:id/resume']));
    const written = normalised(readme);
    const missing = [...new Set(routes)].filter((route) => !matchesWhole(written, normalised(route)));
    expect(missing.sort(), 'routes the README does not name').toEqual([]);
  });
});

/**
 * Whether `path` stands in `text` as a whole path, not followed by more of one (a `/`, a letter or
 * `{`): `/v1/jobs/{}/logs` does not name `/v1/jobs/{}`.
 */
function matchesWhole(text: string, path: string): boolean {
  let at = text.indexOf(path);
  while (at !== -1) {
    const next = text[at + path.length] ?? '';
    if (!/[/A-Za-z0-9{_-]/.test(next)) return true;
    at = text.indexOf(path, at + 1);
  }
  return false;
}
