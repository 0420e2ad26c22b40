// A file of its own: component.ts and intake.ts both need it (no import cycle between them).
/**
 * The next stage of a pipeline. Resolves once the data is safely handed on (stored, or queued
 * in a bounded place that shutdown flushes); rejects with an ExportError.
 */
export interface Consumer<T> {
  consume(data: T): Promise<void>;
}
