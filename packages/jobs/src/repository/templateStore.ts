import { randomUUID } from 'node:crypto';
import { type ClickHouseStore, classifyClickHouseError } from '@llmp/clickhouse';
import { definitionProblem } from '../service/definitionProblem.ts';
import { createJobBody, type JobDefinition, type Page } from '../service/jobSchema.ts';
import { promptMismatch } from '../service/promptVariables.ts';
import { type ValidationScripts, validationScripts } from '../service/validationScript.ts';
import { zodMessage } from '../service/zodMessage.ts';
import { clickhouseMillis, isoFromMillis } from './jobRows.ts';
import { pageCursor } from './pageCursor.ts';
import type { JobResult, PageRequest } from './storeResult.ts';

/** A reusable job definition; jobs made from it copy it and record its id. */
export type JobTemplate = JobDefinition & { id: string; created_at: string };

export interface TemplateStore {
  create(projectId: string, body: unknown): Promise<JobResult<JobTemplate>>;
  get(projectId: string, id: string): Promise<JobTemplate | undefined>;
  list(projectId: string, page: PageRequest): Promise<JobResult<Page<JobTemplate>>>;
}

interface TemplateRow {
  id: string;
  definition: string;
  created_ms: string;
  create_id: string;
}

const ok = <T>(value: T): JobResult<T> => ({ ok: true, value });

function templateOf(row: TemplateRow): JobTemplate {
  return {
    ...JSON.parse(row.definition),
    id: row.id,
    created_at: isoFromMillis(Number(row.created_ms)),
  };
}

/**
 * Job templates over ClickHouse (`job_templates`). A template is written once; an id is
 * claimed with a deduplication token, as job versions are, so two creators cannot both win it.
 * @example const templates = templateStore(store); await templates.create('default', { name: 'summarise', prompt: '{{text}}' });
 */
export function templateStore(
  store: ClickHouseStore,
  {
    now = Date.now,
    newId = randomUUID,
    scripts = validationScripts(),
  }: { now?: () => number; newId?: () => string; scripts?: ValidationScripts } = {},
): TemplateStore {
  const { client } = store;
  const db = `\`${store.database}\``;

  async function rows(query: string, params: Record<string, unknown>): Promise<TemplateRow[]> {
    try {
      const result = await client.query({ query, query_params: params, format: 'JSONEachRow' });
      return await result.json<TemplateRow>();
    } catch (error) {
      throw classifyClickHouseError(error, 'template query');
    }
  }

  const select = `SELECT id, definition, toUnixTimestamp64Milli(created_at) AS created_ms, create_id
    FROM ${db}.job_templates`;

  async function get(projectId: string, id: string): Promise<JobTemplate | undefined> {
    const found = await rows(
      `${select} WHERE project_id = {projectId:String} AND id = {id:String} ORDER BY create_id LIMIT 1`,
      { projectId, id },
    );
    return found[0] ? templateOf(found[0]) : undefined;
  }

  return {
    get,

    async create(projectId, body) {
      const parsed = createJobBody.safeParse(body);
      if (!parsed.success)
        return { ok: false, failure: { kind: 'invalid', message: zodMessage(parsed.error) } };
      const { id: requested, ...definition } = parsed.data;
      const mismatch = promptMismatch(definition.prompt, definition.input_model);
      if (mismatch) return { ok: false, failure: { kind: 'invalid', message: mismatch } };
      const problem = await definitionProblem(definition, scripts);
      if (problem) return { ok: false, failure: { kind: 'invalid', message: problem } };
      const id = requested ?? `tpl_${newId()}`;
      const conflict = {
        ok: false as const,
        failure: { kind: 'conflict' as const, message: `template ${id} already exists` },
      };
      if (await get(projectId, id)) return conflict;
      const createId = newId();
      try {
        await client.insert({
          table: `${store.database}.job_templates`,
          values: [
            {
              project_id: projectId,
              id,
              name: definition.name,
              job_type: definition.job_type,
              definition: JSON.stringify(definition),
              created_at: clickhouseMillis(now()),
              create_id: createId,
            },
          ],
          format: 'JSONEachRow',
          clickhouse_settings: {
            insert_deduplication_token: JSON.stringify(['job_templates', projectId, id]),
          },
        });
      } catch (error) {
        throw classifyClickHouseError(error, 'insert into job_templates');
      }
      const back = await rows(
        `${select} WHERE project_id = {projectId:String} AND id = {id:String} ORDER BY create_id LIMIT 1`,
        { projectId, id },
      );
      return back[0]?.create_id === createId ? ok(templateOf(back[0])) : conflict;
    },

    async list(projectId, { limit, cursor }) {
      let after = '';
      if (cursor !== undefined) {
        const key = pageCursor.decode(cursor, ['string']);
        if (!key)
          return { ok: false, failure: { kind: 'invalid', message: 'cursor is not one this API gave out' } };
        after = key[0] as string;
      }
      const found = await rows(
        `${select} WHERE project_id = {projectId:String} AND id > {after:String}
         ORDER BY id, create_id LIMIT 1 BY id LIMIT {limit:UInt32}`,
        { projectId, after, limit: limit + 1 },
      );
      const more = found.length > limit;
      const items = (more ? found.slice(0, limit) : found).map(templateOf);
      return ok({ items, next_cursor: more ? pageCursor.encode([items[items.length - 1]!.id]) : null });
    },
  };
}
