import type { GenAiFields } from './genAiFields.ts';
import type { Span } from './traceModel.ts';

/**
 * What stages attach to a batch beside its OTLP data. Typed here, in the leaf every component
 * already depends on, so a producer and a reader of a field never import each other.
 */
export interface BatchMeta {
  /**
   * The ClickHouse `insert_deduplication_token` of the batch's one INSERT. The Kafka receiver
   * builds it from topic, partition and offset range, so a redelivered batch carries the same
   * token and is not stored twice. Absent: the insert is not deduplicated.
   */
  readonly dedupToken?: string;
  /**
   * The canonical GenAI fields of each span (set by the `genai` processor), keyed by the span
   * object of `request()`: a batch decodes once and a merge keeps the span objects, so the key
   * stays valid for the life of the batch.
   */
  readonly genAi?: ReadonlyMap<Span, GenAiFields>;
}

/** A batch without metadata. */
export const noMeta: BatchMeta = Object.freeze({});

/**
 * The metadata of batches joined into one: the GenAI fields of every span, each still keyed by
 * its span; a dedup token only when all parts carry the same one (a merge of differently
 * tokened parts would make a token no redelivery reproduces, so the batch processor never
 * merges them; see batchProcessor).
 * @example mergeMeta([a.meta, b.meta]).genAi?.size
 */
export function mergeMeta(parts: readonly BatchMeta[]): BatchMeta {
  if (parts.length === 1) return parts[0]!;
  let genAi: Map<Span, GenAiFields> | undefined;
  for (const part of parts) {
    if (!part.genAi) continue;
    genAi ??= new Map();
    for (const [span, fields] of part.genAi) genAi.set(span, fields);
  }
  const token = parts[0]?.dedupToken;
  const dedupToken = token !== undefined && parts.every((p) => p.dedupToken === token) ? token : undefined;
  return metaOf({ dedupToken, genAi });
}

/** A meta object without keys whose value is undefined (so two equal metas compare equal). */
function metaOf(fields: {
  dedupToken: string | undefined;
  genAi: ReadonlyMap<Span, GenAiFields> | undefined;
}): BatchMeta {
  const meta: { dedupToken?: string; genAi?: ReadonlyMap<Span, GenAiFields> } = {};
  if (fields.dedupToken !== undefined) meta.dedupToken = fields.dedupToken;
  if (fields.genAi !== undefined) meta.genAi = fields.genAi;
  return meta;
}

/**
 * A meta with some fields replaced (the others kept as they were).
 * @example withFields(batch.meta, { genAi })
 */
export function withFields(meta: BatchMeta, fields: BatchMeta): BatchMeta {
  return metaOf({
    dedupToken: 'dedupToken' in fields ? fields.dedupToken : meta.dedupToken,
    genAi: 'genAi' in fields ? fields.genAi : meta.genAi,
  });
}
