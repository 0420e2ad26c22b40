import { type Logger, pino } from 'pino';

/**
 * The process logger: JSON lines on stdout, level from `LLMP_LOG_LEVEL` (default info).
 * @example const logger = createLogger({ name: 'llmp' });
 */
export function createLogger({ name = 'llmp', level = process.env.LLMP_LOG_LEVEL ?? 'info' } = {}): Logger {
  return pino({ name, level, base: { pid: process.pid } });
}

export type { Logger };
