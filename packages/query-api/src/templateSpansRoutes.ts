import type { JobStore } from '@llmp/jobs';
import { jobId } from '@llmp/jobs';
import { Hono } from 'hono';
import { problem } from './problem.ts';

/** The prompt attributes of the GenAI semantic conventions (registry: `gen_ai.prompt.name`) a span names its template with. */
export const promptAttributes = { name: 'gen_ai.prompt.name', version: 'gen_ai.prompt.version' } as const;

/**
 * `GET /v1/templates/{id}/spans[?version=v]`: the spans made from a job template, i.e. those whose
 * `gen_ai.prompt.name` is the template's id (and `gen_ai.prompt.version` the version asked for):
 * the span search (`GET /v1/spans`) with those attribute filters, so its other filters, sort and
 * paging apply; 404 for an unknown template. Served by the app that holds the span search.
 * @example app.route('/', templateSpansRoutes({ jobs, projectOf, search: (request) => app.fetch(request) }));
 */
export function templateSpansRoutes({
  jobs,
  projectOf,
  search,
}: {
  jobs: JobStore;
  projectOf: (request: Request) => string;
  /** Answers a `GET /v1/spans` request (the app's own span search). */
  search: (request: Request) => Response | Promise<Response>;
}): Hono {
  const app = new Hono();
  app.get('/v1/templates/:id/spans', async (c) => {
    const id = c.req.param('id');
    if (!jobId.safeParse(id).success)
      return problem(c, 400, 'Invalid template id', `"${id.slice(0, 200)}" is not a template id`);
    const projectId = projectOf(c.req.raw);
    if (!(await jobs.templates.get(projectId, id)))
      return problem(c, 404, 'Template not found', `no template ${id} in project ${projectId}`);
    const url = new URL(c.req.url);
    const query = new URLSearchParams(url.search);
    const version = query.get('version');
    query.delete('version');
    query.set(`attr.${promptAttributes.name}`, id);
    if (version !== null) query.set(`attr.${promptAttributes.version}`, version);
    url.pathname = '/v1/spans';
    url.search = query.toString();
    return search(new Request(url, { headers: c.req.raw.headers }));
  });
  return app;
}
