import type { KeyValue } from '@llmp/otlp';
import { anyValueText } from './attributeColumns.ts';

/**
 * The text of the first `key` in the first list that has it ('' when none does): a log record's
 * or data point's attributes, then its scope's, then its resource's.
 * @example firstText([point.attributes, scope.attributes, resource.attributes], 'llmp.job.id')
 */
export function firstText(lists: KeyValue[][], key: string): string {
  for (const list of lists) {
    const found = list.find((kv) => kv.key === key);
    if (found) return anyValueText(found.value);
  }
  return '';
}
