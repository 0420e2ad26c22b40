// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${env:VAR}` references are the subject of these tests.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError } from './configError.ts';
import { duration } from './configSchema.ts';
import { expandEnv, loadConfig } from './loadConfig.ts';

const schema = z.object({
  server: z
    .object({
      host: z.string().default('localhost'),
      port: z.number().int().min(1).max(65535).default(4318),
      timeout: duration(200),
    })
    .prefault({}),
  url: z.string().default(''),
  label: z.string().optional(),
  tags: z.array(z.string()).default([]),
  enabled: z.boolean().default(false),
});

function configError(load: () => unknown): ConfigError {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmp-loadConfig-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives the schema defaults for an empty text and without a file', () => {
    const defaults = {
      server: { host: 'localhost', port: 4318, timeout: 200 },
      url: '',
      tags: [],
      enabled: false,
    };
    expect(loadConfig({ schema, text: '', env: {} })).toEqual(defaults);
    expect(loadConfig({ schema, env: {} })).toEqual(defaults);
  });

  it('reads a YAML file', () => {
    const file = join(dir, 'llmp.yaml');
    writeFileSync(file, 'server:\n  port: 4317\n  timeout: 5s\ntags: [a, b]\n');
    expect(loadConfig({ schema, file, env: {} })).toMatchObject({
      server: { host: 'localhost', port: 4317, timeout: 5000 },
      tags: ['a', 'b'],
    });
  });

  it('replaces ${env:VAR} inside strings', () => {
    const config = loadConfig({
      schema,
      text: 'url: http://${env:HOST}:${env:PORT}/v1\nserver:\n  host: ${env:HOST}\n',
      env: { HOST: 'clickhouse', PORT: '8123' },
    });
    expect(config.url).toBe('http://clickhouse:8123/v1');
    expect(config.server.host).toBe('clickhouse');
  });

  it('uses the ${env:VAR:-default} default when the variable is unset or empty', () => {
    const text = 'url: http://${env:HOST:-localhost}:${env:PORT:-8123}/\n';
    expect(loadConfig({ schema, text, env: {} }).url).toBe('http://localhost:8123/');
    expect(loadConfig({ schema, text, env: { HOST: '', PORT: '9000' } }).url).toBe('http://localhost:9000/');
    expect(loadConfig({ schema, text, env: { HOST: 'db' } }).url).toBe('http://db:8123/');
  });

  it('gives a whole-value reference the YAML type of what it expands to', () => {
    const text = 'server:\n  port: ${env:PORT}\nenabled: ${env:ON:-true}\ntags: ${env:TAGS}\n';
    const config = loadConfig({ schema, text, env: { PORT: '4317', TAGS: '[x, y]' } });
    expect(config.server.port).toBe(4317);
    expect(config.enabled).toBe(true);
    expect(config.tags).toEqual(['x', 'y']);
    // Embedded in a longer string, a reference stays text.
    expect(loadConfig({ schema, text: 'url: "${env:PORT} "', env: { PORT: '4317' } }).url).toBe('4317 ');
  });

  it('keeps a whole-value reference as a string when it is not valid YAML', () => {
    // Secrets are often such values; the OpenTelemetry Collector uses them verbatim.
    for (const secret of ['{not-yaml', '*alias', '@home', "'quote", '[1, 2']) {
      expect(loadConfig({ schema, text: 'url: ${env:SECRET}', env: { SECRET: secret } }).url).toBe(secret);
    }
  });

  it('leaves the key unset when a whole-value reference expands to nothing', () => {
    const config = loadConfig({
      schema,
      text: 'server:\n  port: ${env:PORT}\nlabel: ${env:LABEL:-}\n',
      env: {},
    });
    expect(config.server.port).toBe(4318);
    expect(config.label).toBeUndefined();
  });

  it('reads $$ as a literal $', () => {
    const env = { X: 'expanded' };
    expect(loadConfig({ schema, text: 'url: "price: $$5"', env }).url).toBe('price: $5');
    expect(loadConfig({ schema, text: 'url: "$${env:X}"', env }).url).toBe('${env:X}');
    expect(loadConfig({ schema, text: 'url: "$$$${env:X}"', env }).url).toBe('$${env:X}');
    expect(loadConfig({ schema, text: 'url: "$$${env:X}"', env }).url).toBe('$expanded');
    expect(loadConfig({ schema, text: 'url: "$${HOME}"', env }).url).toBe('${HOME}');
    expect(loadConfig({ schema, text: 'url: "a $ b"', env }).url).toBe('a $ b');
  });

  it('refuses references other than ${env:…} and ${file:…}, naming the key', () => {
    const error = configError(() =>
      loadConfig({ schema, text: 'server:\n  host: ${vault:/etc/host}\n', env: {} }),
    );
    expect(error.message).toContain('server.host');
    expect(error.message).toContain('${vault:/etc/host}');
  });

  it('reads a ${file:/path} secret as a string without its trailing newline', () => {
    const secret = join(dir, 'secret');
    writeFileSync(secret, '12345\n');
    const config = loadConfig({
      schema,
      text: `label: \${file:${secret}}\nurl: "http://u:\${file:${secret}}@h"\n`,
      env: {},
    });
    expect(config.label).toBe('12345');
    expect(config.url).toBe('http://u:12345@h');
  });

  it('names the key and the path of a missing ${file:…}, never a secret', () => {
    const missing = join(dir, 'no-such-secret');
    const error = configError(() =>
      loadConfig({ schema, text: `server:\n  host: \${file:${missing}}\n`, env: {} }),
    );
    expect(error.message).toContain('server.host');
    expect(error.message).toContain(missing);
    expect(error.message).toContain('ENOENT');
  });

  it('keeps $${file:…} as literal text', () => {
    expect(loadConfig({ schema, text: 'url: "$${file:/x}"', env: {} }).url).toBe('${file:/x}');
  });

  it('throws ConfigError for invalid YAML', () => {
    const error = configError(() => loadConfig({ schema, text: 'server:\n  port: [1, 2\n', env: {} }));
    expect(error.message).toMatch(/^config is not valid YAML/);
    expect(configError(() => loadConfig({ schema, text: 'a: 1\n  b: 2\n', env: {} })).message).toContain(
      'not valid YAML',
    );
  });

  it('throws ConfigError when the top level is not a mapping', () => {
    expect(configError(() => loadConfig({ schema, text: '- a\n- b\n', env: {} })).message).toContain(
      'top level must be a mapping',
    );
    expect(configError(() => loadConfig({ schema, text: 'just text', env: {} })).message).toContain(
      'top level must be a mapping',
    );
  });

  it('throws ConfigError naming the path of every key that breaks the schema', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'server:\n  port: 70000\n  timeout: soon\ntags: [1]\n');
    const error = configError(() => loadConfig({ schema, file, env: {} }));
    expect(error.message).toContain(`${file} is invalid`);
    expect(error.message).toContain('server.port');
    expect(error.message).toContain('server.timeout');
    expect(error.message).toContain('"soon" is not a duration');
    expect(error.message).toContain('tags.0');
  });

  it('checks the expanded value against the schema', () => {
    const error = configError(() =>
      loadConfig({ schema, text: 'server:\n  port: ${env:PORT}\n', env: { PORT: 'http' } }),
    );
    expect(error.message).toContain('server.port');
  });

  it('throws ConfigError for a file that cannot be read', () => {
    const missing = join(dir, 'missing.yaml');
    const error = configError(() => loadConfig({ schema, file: missing, env: {} }));
    expect(error.message).toContain(`cannot read config file ${missing}`);
    expect(error.name).toBe('ConfigError');
  });
});

describe('expandEnv', () => {
  it('expands inside arrays and nested objects and leaves other values alone', () => {
    expect(expandEnv({ a: ['${env:A}', 'x-${env:A}'], b: { c: 3, d: null, e: true } }, { A: '1' })).toEqual({
      a: [1, 'x-1'],
      b: { c: 3, d: null, e: true },
    });
  });

  it('names array positions in error paths', () => {
    expect(() => expandEnv({ list: ['ok', '${nope}'] }, {})).toThrow(/list\[1\]/);
  });
});

describe('unknown keys', () => {
  const schema = z.object({
    receivers: z
      .object({ otlp: z.object({ endpoint: z.string().default('0.0.0.0:4317') }).prefault({}) })
      .prefault({}),
    labels: z.record(z.string(), z.string()).default({}),
  });

  it('refuses a misspelt key at any depth, naming its path', () => {
    expect(() => loadConfig({ schema, text: 'recievers: {}\n', env: {} })).toThrow(/recievers: unknown key/);
    expect(() => loadConfig({ schema, text: 'receivers:\n  otlp:\n    endpiont: x\n', env: {} })).toThrow(
      /receivers\.otlp\.endpiont: unknown key/,
    );
  });

  it('accepts every key the schema names, and free-form maps', () => {
    const config = loadConfig({
      schema,
      text: 'receivers:\n  otlp:\n    endpoint: a:1\nlabels:\n  anything: x\n',
      env: {},
    });
    expect(config.receivers.otlp.endpoint).toBe('a:1');
    expect(config.labels).toEqual({ anything: 'x' });
  });
});
