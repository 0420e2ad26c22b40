import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError } from './configError.ts';
import { loadConfig } from './loadConfig.ts';
import { applyDefaults, applySet, parseSet } from './setOverrides.ts';

describe('--set', () => {
  it('reads the value as YAML: numbers, booleans, lists, quoted strings', () => {
    expect(parseSet('a.b=5318')).toEqual({ path: ['a', 'b'], value: 5318 });
    expect(parseSet('a.enabled=false')).toEqual({ path: ['a', 'enabled'], value: false });
    expect(parseSet('service.pipelines.traces.exporters=[clickhouse, kafka/spans]').value).toEqual([
      'clickhouse',
      'kafka/spans',
    ]);
    expect(parseSet("a.b='5318'").value).toBe('5318');
    expect(parseSet('receivers.otlp.http.endpoint=127.0.0.1:5318').value).toBe('127.0.0.1:5318');
    // Only the first `=` splits key from value.
    expect(parseSet('a.header=x=y').value).toBe('x=y');
  });

  it('refuses an item without key or value separator', () => {
    expect(() => parseSet('receivers.otlp')).toThrow(ConfigError);
    expect(() => parseSet('=1')).toThrow(ConfigError);
    expect(() => parseSet('a..b=1')).toThrow(ConfigError);
  });

  it('makes nested mappings, keeps siblings, and lets a later item win', () => {
    const tree = { receivers: { otlp: { grpc: { endpoint: '0.0.0.0:4317' } } } };
    expect(
      applySet(tree, [
        'receivers.otlp.http.endpoint=127.0.0.1:5318',
        'query.endpoint=127.0.0.1:1',
        'query.endpoint=127.0.0.1:2',
      ]),
    ).toEqual({
      receivers: { otlp: { grpc: { endpoint: '0.0.0.0:4317' }, http: { endpoint: '127.0.0.1:5318' } } },
      query: { endpoint: '127.0.0.1:2' },
    });
    // The tree read from the file is not changed.
    expect(tree).toEqual({ receivers: { otlp: { grpc: { endpoint: '0.0.0.0:4317' } } } });
  });

  it('refuses a key below a value that is not a mapping', () => {
    expect(() => applySet({ query: 'x' }, ['query.endpoint=1'])).toThrow(/query is not a mapping/);
  });

  it('is applied by loadConfig over the file, then validated like the file', () => {
    const schema = z.object({ port: z.number().default(1), name: z.string().default('a') });
    expect(loadConfig({ schema, text: 'port: 2\n', env: {}, set: ['port=3'] })).toEqual({
      port: 3,
      name: 'a',
    });
    expect(() => loadConfig({ schema, text: '', env: {}, set: ['port=three'] })).toThrow(/port/);
    expect(() => loadConfig({ schema, text: '', env: {}, set: ['prot=3'] })).toThrow(/prot: unknown key/);
  });
});

describe('defaults under the file', () => {
  it('fills only the paths the tree leaves unset, and --set still wins over both', () => {
    const tree = { query: { endpoint: '0.0.0.0:8080' }, receivers: null };
    expect(
      applyDefaults(tree, ['query.endpoint=127.0.0.1:8080', 'receivers.otlp.grpc.endpoint=127.0.0.1:4317']),
    ).toEqual({
      query: { endpoint: '0.0.0.0:8080' },
      receivers: { otlp: { grpc: { endpoint: '127.0.0.1:4317' } } },
    });
    const schema = z.object({
      query: z.object({ endpoint: z.string().default('0.0.0.0:8080') }).prefault({}),
    });
    const load = (text: string, set: string[] = []) =>
      loadConfig({ schema, text, env: {}, set, defaults: ['query.endpoint=127.0.0.1:8080'] }).query.endpoint;
    expect(load('')).toBe('127.0.0.1:8080');
    expect(load('query: { endpoint: 0.0.0.0:9090 }')).toBe('0.0.0.0:9090');
    expect(load('', ['query.endpoint=0.0.0.0:8081'])).toBe('0.0.0.0:8081');
  });
});
