import type { JobRecord } from './jobSchema.ts';

const clip = (text: string, max = 120) => {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

function model(schema: Record<string, unknown> | null): string {
  if (schema === null) return '(any)';
  const properties = schema.properties;
  if (properties !== null && typeof properties === 'object') {
    const names = Object.keys(properties as object);
    return `${String(schema.type ?? 'object')} with ${names.length ? names.join(', ') : 'no properties'}`;
  }
  return clip(JSON.stringify(schema), 80);
}

/**
 * A job as a few readable lines (what the LLMP JobRecord's to_string is for): `llmp jobs show`.
 * @example console.log(jobSummary(job))
 */
export function jobSummary(job: JobRecord): string {
  const rows: Array<[string, string]> = [['name', job.name]];
  if (job.description) rows.push(['description', clip(job.description)]);
  if (job.prompt) rows.push(['prompt', clip(job.prompt)]);
  rows.push(['input model', model(job.input_model)], ['output model', model(job.output_model)]);
  if (job.validation_script.trim() !== '') {
    const lines = job.validation_script.trim().split('\n');
    rows.push(['validation', `${clip(lines[0]!, 80)}${lines.length > 1 ? ` (${lines.length} lines)` : ''}`]);
  }
  if (job.test_input !== null) rows.push(['test input', clip(JSON.stringify(job.test_input), 100)]);
  const metadata = Object.keys(job.metadata);
  if (metadata.length) rows.push(['metadata', clip(metadata.join(', '), 100)]);
  if (job.job_type === 'training') {
    rows.push(
      ['model', job.model],
      ['training', `${job.training_status}, ${job.train_data.length} ${job.train_data_format} examples`],
    );
  }
  if (job.job_type === 'judge_labeling') {
    const judge = job.chatCompletionConfig;
    rows.push(
      ['dataset', job.datasetId],
      ['columns', job.selectedColumns.join(', ')],
      ['judge', `${judge.vendor}/${judge.model}, ${judge.messages.length} messages`],
      ['metric', job.baseEvaluationMetric],
    );
  }
  if (job.template_id) rows.push(['template', job.template_id]);
  if (job.discovered) rows.push(['discovered', 'yes (registered by a span that named it)']);
  rows.push(['created', `${job.created_at} (event ${job.creation_event_id})`]);
  rows.push(['updated', `${job.updated_at} (event ${job.update_event_id})`]);
  const width = Math.max(...rows.map(([k]) => k.length));
  return [
    `${job.id}  ${job.job_type}, ${job.status}, version ${job.version}`,
    ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`),
  ].join('\n');
}
