import { describe, expect, it } from 'vitest';
import { promptMismatch, promptVariables } from './promptVariables.ts';

describe('promptVariables', () => {
  it('finds each {{name}} once, with or without spaces', () => {
    expect(
      promptVariables('Summarise {{ticket}} for {{ customer }}; again {{ticket}} {{ticket.title}}'),
    ).toEqual(['ticket', 'customer', 'ticket.title']);
    expect(promptVariables('no {variables} {{ }} {{1x}} here')).toEqual([]);
  });
});

describe('promptMismatch', () => {
  const model = { type: 'object', properties: { ticket: { type: 'object' }, customer: { type: 'string' } } };
  it('accepts prompts whose variables the input model declares', () => {
    expect(promptMismatch('{{ticket.title}} for {{customer}}', model)).toBeUndefined();
    expect(promptMismatch('{{anything}}', null)).toBeUndefined();
  });
  it('names the undeclared variables and what is declared', () => {
    expect(promptMismatch('{{ticket}} in {{language}} and {{tone}}', model)).toBe(
      'prompt uses {{language}}, {{tone}}, which input_model.properties does not declare (it declares: ticket, customer)',
    );
    expect(promptMismatch('{{x}}', { type: 'string' })).toContain('declares: nothing');
  });
});
