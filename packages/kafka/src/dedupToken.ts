/**
 * The insert_deduplication_token of one ingester insert: the same records always give the same
 * token, so ClickHouse drops a redelivered batch instead of storing it twice.
 * @example dedupToken('otlp_spans', 2, '100', '180', 'default') // 'otlp_spans/2/100-180/default'
 */
export function dedupToken(
  topic: string,
  partition: number,
  first: string,
  last: string,
  projectId: string,
): string {
  return `${topic}/${partition}/${first}-${last}/${projectId}`;
}

const pendingPattern = /^llmp-pending:(\d+)-(\d+)$/;

/** Commit metadata recording the offset range whose insert is under way. */
export function pendingMetadata(first: string, last: string): string {
  return `llmp-pending:${first}-${last}`;
}

/**
 * Reads a pending range back from commit metadata.
 * @example parsePending('llmp-pending:100-180') // { first: '100', last: '180' }
 */
export function parsePending(metadata: string | undefined): { first: string; last: string } | undefined {
  const match = metadata ? pendingPattern.exec(metadata) : null;
  return match ? { first: match[1]!, last: match[2]! } : undefined;
}
