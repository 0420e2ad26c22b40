/** The judge-labeling dataset ids the auto_eval API sends as `{"value": …}` wrappers. */
export const wrappedIdFields = ['datasetId', 'fewShotDatasetId', 'activeLabeledDatasetId'] as const;

const isWrapper = (v: unknown): v is { value: unknown } =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 1 && 'value' in v;

/**
 * A create or update body with `{"value": id}` dataset ids unwrapped to the plain strings the job
 * record keeps; anything else is left for the schema to judge.
 * @example unwrapDatasetIds({ datasetId: { value: 'ds-1' } }) // { datasetId: 'ds-1' }
 */
export function unwrapDatasetIds(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const fields = body as Record<string, unknown>;
  if (!wrappedIdFields.some((k) => isWrapper(fields[k]))) return body;
  const out = { ...fields };
  for (const k of wrappedIdFields) {
    const v = out[k];
    if (isWrapper(v)) out[k] = v.value;
  }
  return out;
}

/**
 * A dataset id as the auto_eval API answers it: `{"value": id}`, or null when unset.
 * @example wrapDatasetId('ds-1') // { value: 'ds-1' }
 */
export function wrapDatasetId(id: string | null | undefined): { value: string } | null {
  return id === null || id === undefined ? null : { value: id };
}
