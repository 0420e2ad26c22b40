/** A job version as `GET /v1/jobs/{id}/versions` lists it: the definition and its record fields. */
export type JobVersionBody = Record<string, unknown> & { version: number };

/** One definition field that two versions hold differently, as pretty JSON text. */
export interface FieldChange {
  field: string;
  from: string;
  to: string;
}

// Record bookkeeping, not definition: every version differs here, so a diff would only be noise.
const bookkeeping = new Set([
  'id',
  'version',
  'status',
  'discovered',
  'creation_event_id',
  'update_event_id',
  'created_at',
  'updated_at',
]);

const text = (value: unknown): string => (value === undefined ? '' : JSON.stringify(value, null, 2));

/**
 * The definition fields that differ between two versions of a job, in field-name order.
 * @example jobVersionDiff({ version: 1, prompt: 'a' }, { version: 2, prompt: 'b' }) // [{ field: 'prompt', from: '"a"', to: '"b"' }]
 */
export function jobVersionDiff(from: JobVersionBody, to: JobVersionBody): FieldChange[] {
  const fields = [...new Set([...Object.keys(from), ...Object.keys(to)])].filter((f) => !bookkeeping.has(f));
  return fields
    .sort()
    .map((field) => ({ field, from: text(from[field]), to: text(to[field]) }))
    .filter((change) => change.from !== change.to);
}
