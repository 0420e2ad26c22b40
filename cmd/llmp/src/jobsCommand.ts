import { readFileSync } from 'node:fs';
import type { JobRecord } from '@llmp/jobs';
import type { Command } from 'commander';

interface ApiOptions {
  api: string;
  /** Sent as `Authorization: Bearer <key>`; from --api-key or LLMP_API_KEY. */
  apiKey?: string;
  json?: boolean;
}

/** A failure the user can act on: printed as one line, exit code 1 (API said no) or 2 (no API). */
class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.exitCode = exitCode;
  }
}

async function call(options: ApiOptions, method: string, path: string, body?: unknown, headers = {}) {
  const url = new URL(path, options.api.endsWith('/') ? options.api : `${options.api}/`);
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (error) {
    throw new CliError(
      `cannot reach the query API at ${options.api} (${(error as Error).message}); is llmp running? set --api or LLMP_API_URL`,
      2,
    );
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  if (!response.ok) {
    const problem = parsed as { title?: string; detail?: string } | undefined;
    throw new CliError(`${response.status} ${problem?.title ?? ''}: ${problem?.detail ?? text}`.trim(), 1);
  }
  return parsed;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file === '-' ? 0 : file, 'utf8'));
  } catch (error) {
    throw new CliError(`cannot read JSON from ${file}: ${(error as Error).message}`, 2);
  }
}

const print = (text: string) => process.stdout.write(`${text}\n`);
const oneLine = (job: JobRecord) => `${job.id}\t${job.job_type}\t${job.status}\tv${job.version}\t${job.name}`;

/** Runs a verb; failures become one readable line and an exit code instead of a stack trace. */
function verb<A extends unknown[]>(run: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args) => {
    try {
      await run(...args);
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      process.stderr.write(`llmp: ${error.message}\n`);
      process.exitCode = error.exitCode;
    }
  };
}

/**
 * `llmp jobs list|show|create|update|pause|resume|complete|terminate|rollback`, over the query API.
 * @example jobsCommand(program); // llmp jobs show summarise-tickets --api http://localhost:8080
 */
export function jobsCommand(program: Command): void {
  const jobs = program.command('jobs').description('define and manage jobs through the query API');
  const withApi = (command: Command) =>
    command
      .option(
        '--api <url>',
        'query API base URL (env LLMP_API_URL)',
        process.env.LLMP_API_URL ?? 'http://127.0.0.1:8080',
      )
      .option(
        '--api-key <key>',
        'API key, sent as Authorization: Bearer (env LLMP_API_KEY)',
        process.env.LLMP_API_KEY,
      )
      .option('--json', 'print the API answer as JSON');
  const show = (options: ApiOptions, job: JobRecord, text: string) =>
    print(options.json ? JSON.stringify(job, null, 2) : text);

  withApi(jobs.command('list'))
    .description('jobs, newest first: id, type, status, version, name')
    .option('--status <status>')
    .option('--type <type>')
    .option('--name <text>', 'part of the name')
    .option('--limit <n>', 'at most this many (≤ 200)', '50')
    .action(
      verb(async (options: ApiOptions & { status?: string; type?: string; name?: string; limit: string }) => {
        const query = new URLSearchParams({ limit: options.limit });
        for (const key of ['status', 'type', 'name'] as const) if (options[key]) query.set(key, options[key]);
        const page = (await call(options, 'GET', `v1/jobs?${query}`)) as { items: JobRecord[] };
        if (options.json) print(JSON.stringify(page, null, 2));
        else for (const job of page.items) print(oneLine(job));
      }),
    );

  withApi(jobs.command('show <id>'))
    .description('a readable summary of a job')
    .action(
      verb(async (id: string, options: ApiOptions) => {
        const job = (await call(options, 'GET', `v1/jobs/${encodeURIComponent(id)}`)) as JobRecord;
        // Loaded here: the jobs package is the store's code, which the other verbs never need.
        const { jobSummary } = await import('@llmp/jobs');
        show(options, job, jobSummary(job));
      }),
    );

  withApi(jobs.command('create'))
    .description('define a job from a JSON file (or - for stdin) and/or options')
    .option('-f, --file <file>', 'JSON job definition')
    .option('--id <id>')
    .option('--name <name>')
    .option('--type <type>', 'llm_task (default), training or judge_labeling')
    .option('--prompt <text>')
    .option('--template <id>', 'copy the definition of this template')
    .action(
      verb(
        async (
          options: ApiOptions & {
            file?: string;
            id?: string;
            name?: string;
            type?: string;
            prompt?: string;
            template?: string;
          },
        ) => {
          const body = {
            ...(options.file ? (readJson(options.file) as object) : {}),
            ...(options.id ? { id: options.id } : {}),
            ...(options.name ? { name: options.name } : {}),
            ...(options.type ? { job_type: options.type } : {}),
            ...(options.prompt ? { prompt: options.prompt } : {}),
            ...(options.template ? { template_id: options.template } : {}),
          };
          const job = (await call(options, 'POST', 'v1/jobs', body)) as JobRecord;
          show(options, job, `created ${job.id} (version ${job.version})`);
        },
      ),
    );

  withApi(jobs.command('update <id>'))
    .description('change the definition (makes a new version)')
    .option('-f, --file <file>', 'JSON object of the fields to change')
    .option('--name <name>')
    .option('--description <text>')
    .option('--prompt <text>')
    .option('--if-match <version>', 'the version you read; another current version fails')
    .action(
      verb(
        async (
          id: string,
          options: ApiOptions & {
            file?: string;
            name?: string;
            description?: string;
            prompt?: string;
            ifMatch?: string;
          },
        ) => {
          const body = {
            ...(options.file ? (readJson(options.file) as object) : {}),
            ...(options.name ? { name: options.name } : {}),
            ...(options.description !== undefined ? { description: options.description } : {}),
            ...(options.prompt !== undefined ? { prompt: options.prompt } : {}),
          };
          const headers = options.ifMatch ? { 'if-match': `"${options.ifMatch}"` } : {};
          const job = (await call(
            options,
            'PATCH',
            `v1/jobs/${encodeURIComponent(id)}`,
            body,
            headers,
          )) as JobRecord;
          show(options, job, `${job.id}: version ${job.version}`);
        },
      ),
    );

  for (const action of ['pause', 'resume', 'complete', 'terminate'] as const) {
    withApi(jobs.command(`${action} <id>`))
      .description(`${action} a job`)
      .action(
        verb(async (id: string, options: ApiOptions) => {
          const job = (await call(
            options,
            'POST',
            `v1/jobs/${encodeURIComponent(id)}/${action}`,
          )) as JobRecord;
          show(options, job, `${job.id}: ${job.status}`);
        }),
      );
  }

  withApi(jobs.command('rollback <id> <version>'))
    .description('make a new version equal to an earlier one')
    .action(
      verb(async (id: string, version: string, options: ApiOptions) => {
        if (!/^\d+$/.test(version)) throw new CliError(`version must be a number, not "${version}"`, 2);
        const job = (await call(options, 'POST', `v1/jobs/${encodeURIComponent(id)}/rollback`, {
          version: Number(version),
        })) as JobRecord;
        show(options, job, `${job.id}: version ${job.version} (a copy of version ${version})`);
      }),
    );
}
