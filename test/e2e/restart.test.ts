import { existsSync, writeFileSync } from 'node:fs';
import { migrations } from '@llmp/clickhouse';
import { afterAll, describe, expect, it } from 'vitest';
import { type LlmpProcess, startLlmp } from '../support/llmpProcess.ts';
import { otlpJsonTrace, postJson } from '../support/otlpJson.ts';
import { tempDir } from '../support/tempDir.ts';

const dir = tempDir('restart');
const running: LlmpProcess[] = [];
afterAll(async () => {
  for (const p of running) await p.stop('SIGKILL');
  dir.remove();
});

describe('embedded store across restarts', () => {
  it('keeps spans stored before a clean restart, and refuses a second process on the same data dir', async () => {
    const dataDir = `${dir.path}/data`;
    const first = await startLlmp({ dataDir });
    running.push(first);
    const sent = otlpJsonTrace({ spans: 4, service: 'restart-check' });
    const accepted = await postJson(first.httpPort, sent.body);
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).toEqual({});

    // A second process on the same data dir must fail fast with a plain reason, not corrupt it.
    await expect(startLlmp({ dataDir, timeoutMs: 30_000 })).rejects.toThrow(
      /already open in another llmp process/,
    );

    expect(await first.stop('SIGTERM')).toBe(0);
    // An insert payload left behind by a process killed mid-insert is cleared at the next start.
    const leftover = `${dataDir}/inserts/left-by-a-crash.rowbinary`;
    writeFileSync(leftover, 'x');
    const second = await startLlmp({ dataDir });
    expect(existsSync(leftover)).toBe(false);
    running.push(second);
    const response = await second.api(`/v1/traces/${sent.traceId}`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      spans: Array<{ spanId: string; serviceName: string; attributes: Record<string, unknown> }>;
    };
    expect(body.spans.map((s) => s.spanId).sort()).toEqual([...sent.spanIds].sort());
    expect(body.spans.every((s) => s.serviceName === 'restart-check')).toBe(true);
    expect(body.spans.map((s) => s.attributes.step).sort()).toEqual([0, 1, 2, 3]);
    // The schema was migrated once; the restart found it current and applied nothing.
    const migrated = second.logs.find((l) => l.msg === 'schema up to date');
    expect(migrated).toMatchObject({
      schemaVersion: Math.max(...migrations.map((m) => m.version)),
      applied: [],
    });
    expect(await second.stop('SIGTERM')).toBe(0);
  });

  it('stores spans in a data dir whose path has glob characters, without staging binary inserts there', async () => {
    // The RowBinary staging file is read through file(), which expands globs in its path.
    const dataDir = `${dir.path}/data{1}`;
    const llmp = await startLlmp({ dataDir });
    running.push(llmp);
    const sent = otlpJsonTrace({ spans: 3, service: 'glob-dir' });
    expect((await postJson(llmp.httpPort, sent.body)).status).toBe(200);
    const response = await llmp.api(`/v1/traces/${sent.traceId}`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { spans: Array<{ spanId: string }> };
    expect(body.spans.map((s) => s.spanId).sort()).toEqual([...sent.spanIds].sort());
    expect(existsSync(`${dataDir}/inserts`)).toBe(false);
    expect(await llmp.stop('SIGTERM')).toBe(0);
  });
});
