import { type ExportError, permanent, retryable } from '@llmp/pipeline';

// ClickHouse error codes (src/Common/ErrorCodes.cpp) that mean the inserted data itself is
// wrong: retrying the same rows cannot succeed.
const dataErrorCodes = new Set([
  6, // CANNOT_PARSE_TEXT
  26, // CANNOT_PARSE_QUOTED_STRING
  27, // CANNOT_PARSE_INPUT_ASSERTION_FAILED
  38, // CANNOT_PARSE_DATE
  41, // CANNOT_PARSE_DATETIME
  53, // TYPE_MISMATCH
  69, // ARGUMENT_OUT_OF_BOUND
  70, // CANNOT_CONVERT_TYPE
  72, // CANNOT_PARSE_NUMBER
  117, // INCORRECT_DATA
  130, // CANNOT_READ_ARRAY_FROM_TEXT
  131, // TOO_LARGE_STRING_SIZE
  190, // SIZES_OF_ARRAYS_DONT_MATCH
  321, // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
  349, // CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN
]);

function clickhouseCode(error: unknown): number | undefined {
  const e = error as { code?: unknown; clickhouseCode?: unknown };
  const raw = e?.clickhouseCode ?? e?.code;
  const n = typeof raw === 'string' ? Number(raw) : typeof raw === 'number' ? raw : Number.NaN;
  return Number.isInteger(n) ? n : undefined;
}

/**
 * Gives a ClickHouse failure its kind, from the server's error code (never its message): data
 * errors are permanent, everything else (network, overload, timeouts, read-only) retryable.
 * @example throw classifyClickHouseError(caught, 'insert into spans');
 */
export function classifyClickHouseError(error: unknown, action: string): ExportError {
  const code = clickhouseCode(error);
  const message = `${action} failed: ${(error as Error)?.message ?? String(error)}`;
  if (code !== undefined && dataErrorCodes.has(code)) return permanent(message, { cause: error });
  return retryable(message, { cause: error, reason: 'unavailable', retryAfterMs: 1000 });
}
