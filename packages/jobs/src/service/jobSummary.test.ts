import { describe, expect, it } from 'vitest';
import type { JobRecord } from './jobSchema.ts';
import { jobSummary } from './jobSummary.ts';

const base = {
  id: 'summarise-tickets',
  name: 'Summarise tickets',
  description: '',
  prompt: 'Summarise {{ticket}}\nbriefly',
  input_model: { type: 'object', properties: { ticket: { type: 'string' } } },
  output_model: null,
  validation_script: '',
  test_input: null,
  metadata: {},
  template_id: null,
  discovered: false,
  status: 'paused',
  version: 3,
  creation_event_id: 'e1',
  update_event_id: 'e7',
  created_at: '2026-11-23T09:00:00.000Z',
  updated_at: '2026-11-23T09:30:00.000Z',
} as const;

describe('jobSummary', () => {
  it('says what the job is in a few aligned lines', () => {
    expect(jobSummary({ ...base, job_type: 'llm_task' } as JobRecord)).toBe(
      [
        'summarise-tickets  llm_task, paused, version 3',
        '  name          Summarise tickets',
        '  prompt        Summarise {{ticket}} briefly',
        '  input model   object with ticket',
        '  output model  (any)',
        '  created       2026-11-23T09:00:00.000Z (event e1)',
        '  updated       2026-11-23T09:30:00.000Z (event e7)',
      ].join('\n'),
    );
  });

  it('adds what a training job is about', () => {
    const text = jobSummary({
      ...base,
      job_type: 'training',
      model: 'openai/gpt-4o-mini',
      training_status: 'running',
      train_data_format: 'chat',
      train_data: [{}, {}],
      train_kwargs: {},
      discovered: true,
    } as JobRecord);
    expect(text).toContain('  model         openai/gpt-4o-mini');
    expect(text).toContain('  training      running, 2 chat examples');
    expect(text).toContain('discovered    yes');
  });
});
