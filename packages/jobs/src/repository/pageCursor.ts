/**
 * Opaque page cursors: the sort key of the last item returned, as base64url JSON, so a page
 * boundary stays put while rows are added before it.
 * @example const next = pageCursor.encode([1700000000000, 'job-1']); pageCursor.decode(next)
 */
export const pageCursor = {
  encode(key: Array<string | number>): string {
    return Buffer.from(JSON.stringify(key)).toString('base64url');
  },
  /** The key, or undefined when the text is not a cursor this API gave out. */
  decode(text: string, shape: Array<'string' | 'number'>): Array<string | number> | undefined {
    let key: unknown;
    try {
      key = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
    if (!Array.isArray(key) || key.length !== shape.length) return undefined;
    return key.every((v, i) => typeof v === shape[i] && (typeof v !== 'number' || Number.isSafeInteger(v)))
      ? (key as Array<string | number>)
      : undefined;
  },
};
