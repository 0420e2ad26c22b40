/** A component id as the Collector writes it: `type` or `type/name`, e.g. `kafka/spans`. */
export interface ComponentId {
  type: string;
  name: string | undefined;
}

const idPattern = /^([A-Za-z][A-Za-z0-9_-]*)(?:\/([A-Za-z0-9][A-Za-z0-9_.-]*))?$/;

/**
 * Splits `type[/name]`; undefined when the id is not of that form.
 * @example parseComponentId('kafka/spans') // { type: 'kafka', name: 'spans' }
 */
export function parseComponentId(id: string): ComponentId | undefined {
  const match = idPattern.exec(id);
  return match ? { type: match[1]!, name: match[2] } : undefined;
}
