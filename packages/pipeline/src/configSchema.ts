import { z } from 'zod';

const durationUnits: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const sizeUnits: Record<string, number> = {
  b: 1,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/**
 * A duration in milliseconds, written as a number of ms or a string such as `200ms`, `5s`, `1m`.
 * @example z.object({ timeout: duration(200) })
 */
export function duration(defaultMs: number) {
  return z
    .union([z.number().nonnegative(), z.string()])
    .transform((value, ctx) => {
      if (typeof value === 'number') return value;
      const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/i.exec(value);
      if (!match) {
        ctx.addIssue({ code: 'custom', message: `"${value}" is not a duration (use e.g. 200ms, 5s, 1m)` });
        return z.NEVER;
      }
      return Number(match[1]) * durationUnits[match[2]!.toLowerCase()]!;
    })
    .default(defaultMs);
}

/**
 * A size in bytes, written as a number or a string such as `20MiB`, `512KiB`.
 * @example z.object({ maxBodyBytes: byteSize(20 * 1024 ** 2) })
 */
export function byteSize(defaultBytes: number) {
  return z
    .union([z.number().int().nonnegative(), z.string()])
    .transform((value, ctx) => {
      if (typeof value === 'number') return value;
      const match = /^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b|b)\s*$/i.exec(value);
      if (!match) {
        ctx.addIssue({ code: 'custom', message: `"${value}" is not a size (use e.g. 4MiB, 512KiB)` });
        return z.NEVER;
      }
      return Math.floor(Number(match[1]) * sizeUnits[match[2]!.toLowerCase()]!);
    })
    .default(defaultBytes);
}

/**
 * A `host:port` listen address; port 0 asks the system for a free port.
 * @example z.object({ endpoint: endpoint('0.0.0.0:4317') })
 */
export function endpoint(defaultValue: string) {
  return z
    .string()
    .regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]*):\d{1,5}$/, 'must be host:port, e.g. 0.0.0.0:4317')
    .default(defaultValue);
}

/** Splits `host:port` (IPv6 in brackets) into its parts. */
export function parseEndpoint(value: string): { host: string; port: number } {
  const at = value.lastIndexOf(':');
  const host = value.slice(0, at).replace(/^\[(.*)\]$/, '$1');
  return { host: host === '' ? '0.0.0.0' : host, port: Number(value.slice(at + 1)) };
}
