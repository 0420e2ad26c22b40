import { cursorCodec } from '@llmp/pipeline';
import { z } from 'zod';

const codec = cursorCodec(
  z.array(z.union([z.string(), z.number().int().refine(Number.isSafeInteger)])).max(4),
);

/**
 * Opaque page cursors: the sort key of the last item returned, through the one cursor codec of
 * the API (versioned base64url JSON), so a page boundary stays put while rows are added before it.
 * @example const next = pageCursor.encode([1700000000000, 'job-1']); pageCursor.decode(next, ['number', 'string'])
 */
export const pageCursor = {
  encode(key: Array<string | number>): string {
    return codec.encode(key);
  },
  /** The key, or undefined when the text is not a cursor this API gave out for this list. */
  decode(text: string, shape: Array<'string' | 'number'>): Array<string | number> | undefined {
    const key = codec.decode(text);
    if (key === undefined || key.length !== shape.length) return undefined;
    return key.every((v, i) => typeof v === shape[i]) ? key : undefined;
  },
};
