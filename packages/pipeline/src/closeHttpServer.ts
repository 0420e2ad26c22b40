import type { Server } from 'node:http';

/**
 * Closes an HTTP server: stop accepting, let in-flight requests finish, then cut what is left
 * after `timeoutMs`.
 * @example await closeHttpServer(server as Server, config.shutdownTimeoutMs);
 */
export function closeHttpServer(
  http: Pick<Server, 'close' | 'closeAllConnections' | 'closeIdleConnections'>,
  timeoutMs: number,
): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => http.closeAllConnections(), timeoutMs);
    // A keep-alive connection whose request finishes after close() would otherwise linger
    // for the keep-alive timeout; close each one as soon as it turns idle.
    const sweeper = setInterval(() => http.closeIdleConnections(), 50);
    http.close(() => {
      clearTimeout(timer);
      clearInterval(sweeper);
      resolve();
    });
    http.closeIdleConnections();
  });
}
