import { describe, expect, it } from 'vitest';
import { allocatorConf, embeddedEngineConfig, engineArgs } from './embeddedEngine.ts';

describe('embeddedEngineConfig', () => {
  it('defaults to the engine’s memory bound, freed pages kept 1 s and a derive every second', () => {
    expect(embeddedEngineConfig.parse(undefined)).toEqual({
      maxMemory: 0,
      freedMemoryDecay: 1000,
      deriveInterval: 1000,
      derivePendingBytes: 128 * 1024 ** 2,
      serverSettings: {},
    });
  });

  it('reads sizes, durations and server settings', () => {
    expect(
      embeddedEngineConfig.parse({
        maxMemory: '1GiB',
        freedMemoryDecay: '5s',
        deriveInterval: '1s',
        derivePendingBytes: '64MiB',
        serverSettings: { mark_cache_size: 268435456, text_index_postings_cache_size: '64MiB' },
      }),
    ).toEqual({
      maxMemory: 1024 ** 3,
      freedMemoryDecay: 5000,
      deriveInterval: 1000,
      derivePendingBytes: 64 * 1024 ** 2,
      serverSettings: { mark_cache_size: 268435456, text_index_postings_cache_size: '64MiB' },
    });
  });

  it('refuses what is not a setting name, so nothing else reaches the command line', () => {
    expect(() => embeddedEngineConfig.parse({ serverSettings: { 'path=/tmp': 1 } })).toThrow(/setting name/);
    expect(() => embeddedEngineConfig.parse({ serverSettings: { '--config-file': 'x' } })).toThrow(
      /setting name/,
    );
    expect(() => embeddedEngineConfig.parse({ maxMemory: '-1' })).toThrow();
  });
});

describe('engineArgs', () => {
  it('passes nothing for the defaults, so the engine starts as chdb starts it', () => {
    expect(engineArgs({})).toEqual([]);
    expect(engineArgs(embeddedEngineConfig.parse({}))).toEqual([]);
  });

  it('passes the memory bound and each server setting as --name=value', () => {
    expect(engineArgs({ maxMemory: 1024 ** 3, serverSettings: { mark_cache_size: 1024 } })).toEqual([
      '--mark_cache_size=1024',
      '--max_server_memory_usage=1073741824',
    ]);
  });

  it('lets maxMemory win over a max_server_memory_usage server setting', () => {
    expect(engineArgs({ maxMemory: 100, serverSettings: { max_server_memory_usage: 5 } })).toEqual([
      '--max_server_memory_usage=100',
    ]);
  });

  it('throws on a name or value that would become another argument', () => {
    expect(() => engineArgs({ serverSettings: { 'a b': 1 } })).toThrow(TypeError);
    expect(() => engineArgs({ serverSettings: { path: 'x\n--config-file=y' } })).toThrow(TypeError);
  });
});

describe('allocatorConf', () => {
  it('sets the decay when the operator set no JE_MALLOC_CONF', () => {
    expect(allocatorConf({ freedMemoryDecay: 0 }, undefined)).toBe('dirty_decay_ms:0');
    expect(allocatorConf({ freedMemoryDecay: 1500 }, undefined)).toBe('dirty_decay_ms:1500');
  });

  it("leaves the operator's JE_MALLOC_CONF alone, and the environment when no decay is given", () => {
    expect(allocatorConf({ freedMemoryDecay: 0 }, 'narenas:1')).toBeUndefined();
    expect(allocatorConf({}, undefined)).toBeUndefined();
  });
});
