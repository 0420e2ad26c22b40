import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadStartConfig } from './loadStartConfig.ts';

const preset = fileURLToPath(new URL('../../../deploy/config/all-in-one.yaml', import.meta.url));
const endpoints = ({ config }: ReturnType<typeof loadStartConfig>) => [
  config.receivers.otlp.grpc.endpoint,
  config.receivers.otlp.http.endpoint,
  config.query.endpoint,
];
const key = `sha256:${createHash('sha256').update('k').digest('hex')}=default:admin`;

describe('llmp start listeners', () => {
  it('bind 127.0.0.1 when auth is off and the config names no endpoint', () => {
    const start = loadStartConfig({ file: undefined, env: {} });
    expect(start.localOnly).toBe(true);
    expect(endpoints(start)).toEqual(['127.0.0.1:4317', '127.0.0.1:4318', '127.0.0.1:8080']);
  });

  it('bind every interface when API keys are configured', () => {
    const start = loadStartConfig({ file: undefined, env: { LLMP_API_KEYS: key } });
    expect(start.localOnly).toBe(false);
    expect(endpoints(start)).toEqual(['0.0.0.0:4317', '0.0.0.0:4318', '0.0.0.0:8080']);
  });

  it('keep what the config or --set names, e.g. the preset explicit 0.0.0.0', () => {
    expect(endpoints(loadStartConfig({ file: preset, env: {} }))).toEqual([
      '0.0.0.0:4317',
      '0.0.0.0:4318',
      '0.0.0.0:8080',
    ]);
    const set = ['query.endpoint=0.0.0.0:9090'];
    expect(endpoints(loadStartConfig({ file: undefined, env: {}, set }))[2]).toBe('0.0.0.0:9090');
  });
});
