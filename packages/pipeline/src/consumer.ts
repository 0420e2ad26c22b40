// A file of its own: component.ts and intake.ts both need it (no import cycle between them).
/**
 * The next stage of a pipeline. Resolves once the data is safely handed on (stored, or queued
 * in a bounded place that shutdown flushes); rejects with an ExportError.
 */
export interface Consumer<T> {
  consume(data: T): Promise<void>;
  /**
   * Work on one part of a batch that a batching stage is still filling, done as the part joins,
   * so that `consume` of the joined batch finds it done: the parts that came first are worked on
   * while the batch waits for the last (issue 21: the engine idles meanwhile). A batch processor
   * calls it on the stage right after it and nowhere else, so nothing changes a part between
   * `prepare` and `consume`; stages that do not forward it end the chain. Never throws, stores
   * nothing, and what it readies may go unused (a part left out of the merge).
   */
  prepare?(data: T): void;
}
