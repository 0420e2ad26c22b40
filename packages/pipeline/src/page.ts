import type { z } from 'zod';

/**
 * One page of a list and the opaque cursor of the next one (null on the last page). The field
 * names follow the seed's snake_case records; every paged route (jobs, versions, events, traces,
 * logs, templates, trace and span search) answers `next_cursor`.
 */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** The cursor format version; a cursor of another version is not one this API gave out. */
const cursorVersion = 1;

/** Encodes and checks one kind of opaque page cursor. */
export interface CursorCodec<T> {
  encode(value: T): string;
  /** The value, or undefined when the text is not a cursor of this kind (tampered, truncated, old). */
  decode(text: string): T | undefined;
}

/**
 * An opaque cursor codec: `{"v":1,"c":value}` as base64url JSON, checked against `schema` on the
 * way back in, so a tampered cursor is refused (the routes answer a 400 problem) instead of
 * reaching a query.
 * @example const codec = cursorCodec(z.tuple([z.number().int(), z.string()])); codec.decode(codec.encode([1, 'a']))
 */
export function cursorCodec<S extends z.ZodType>(schema: S): CursorCodec<z.infer<S>> {
  return {
    encode(value) {
      return Buffer.from(JSON.stringify({ v: cursorVersion, c: value })).toString('base64url');
    },
    decode(text) {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
      } catch {
        return undefined;
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
      const { v, c, ...rest } = body as Record<string, unknown>;
      if (v !== cursorVersion || Object.keys(rest).length > 0) return undefined;
      const parsed = schema.safeParse(c);
      return parsed.success ? parsed.data : undefined;
    },
  };
}
