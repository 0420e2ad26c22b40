/** Whether the store takes writes, as the last write found out; `/readyz` reports it. */
export interface StoreWriteHealth {
  /** A write failed: when for lack of disk space or because the store is read-only, the store is marked unwritable. */
  failed(error: unknown): void;
  /** A write went through: the store is writable again. */
  succeeded(): void;
  /** Why the store refuses writes, or undefined while it takes them. */
  problem(): string | undefined;
}

// ClickHouse error codes (src/Common/ErrorCodes.cpp) that say the store cannot take any write
// until an operator acts, as opposed to one statement failing (memory, timeouts).
const unwritableCodes = new Set([
  75, // CANNOT_WRITE_TO_FILE_DESCRIPTOR (ENOSPC, EFBIG on write)
  164, // READONLY
  242, // TABLE_IS_READ_ONLY
  243, // NOT_ENOUGH_SPACE
  425, // SYSTEM_ERROR (errno from the file system)
  1001, // STD_EXCEPTION (std::filesystem errors such as "No space left on device")
]);

// The same from Node's file system calls (the embedded store stages insert payloads in files).
const unwritableErrnos = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EFBIG']);

function clickhouseCode(error: unknown): number | undefined {
  const e = error as { code?: unknown; clickhouseCode?: unknown };
  const raw = e?.clickhouseCode ?? e?.code;
  const n = typeof raw === 'string' ? Number(raw) : typeof raw === 'number' ? raw : Number.NaN;
  return Number.isInteger(n) ? n : undefined;
}

/**
 * Tracks the outcome of the store's writes, so every role that writes a store it cannot write
 * (disk full, read-only) says so on `/readyz` until a write succeeds again.
 * @example const health = storeWriteHealth(); health.failed(error); health.problem() // 'store refuses writes: …'
 */
export function storeWriteHealth(): StoreWriteHealth {
  let problem: string | undefined;
  return {
    failed(error) {
      const errno = (error as { code?: unknown })?.code;
      const code = clickhouseCode(error);
      const unwritable =
        (typeof errno === 'string' && unwritableErrnos.has(errno)) ||
        (code !== undefined && unwritableCodes.has(code));
      if (!unwritable) return;
      const message = (error as Error)?.message ?? String(error);
      problem = `store refuses writes (${code ?? errno}): ${message.split('\n')[0]!.slice(0, 300)}`;
    },
    succeeded() {
      problem = undefined;
    },
    problem: () => problem,
  };
}
