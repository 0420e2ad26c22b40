import type { AnyValue, KeyValue } from '@llmp/otlp';
import { describe, expect, it } from 'vitest';
import { firstText } from './firstText.ts';

const kv = (key: string, value: AnyValue): KeyValue => ({ key, value });
const str = (value: string): AnyValue => ({ type: 'string', value });

describe('firstText', () => {
  it('takes the first value of the key in the first list holding it, as text', () => {
    const point = [kv('other', str('x')), kv('llmp.job.version', { type: 'int', value: 7n })];
    const scope = [kv('llmp.job.id', str('from-scope')), kv('llmp.job.id', str('second'))];
    const resource = [kv('llmp.job.id', str('from-resource')), kv('llmp.job.type', str('eval'))];
    const lists = [point, scope, resource];
    expect(firstText(lists, 'llmp.job.id')).toBe('from-scope');
    expect(firstText(lists, 'llmp.job.version')).toBe('7');
    expect(firstText(lists, 'llmp.job.type')).toBe('eval');
    expect(firstText(lists, 'absent')).toBe('');
  });

  it('keeps an empty value where it is found (it does not look further out)', () => {
    expect(firstText([[kv('k', str(''))], [kv('k', str('outer'))]], 'k')).toBe('');
  });
});
