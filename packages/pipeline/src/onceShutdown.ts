/**
 * Wraps a shutdown routine so that every call after the first returns the same promise.
 * @example shutdown = onceShutdown(async () => { await server.close(); });
 */
export function onceShutdown(run: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => {
    done ??= run();
    return done;
  };
}
