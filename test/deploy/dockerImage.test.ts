import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isolatedTopics, providedBrokers } from '../support/distributedRoles.ts';
import { type LlmpProcess, repoRoot, startLlmp } from '../support/llmpProcess.ts';
import { sendSpans } from '../support/sdkSpans.ts';
import { tempDir } from '../support/tempDir.ts';

// There is no Docker engine on the development machine: the image is never built here. What can
// be checked without one is checked: the Dockerfile's shape, and the gateway target's
// dependencies, made by the very script its build stage runs, in a copy of the repository.

const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
/** Each stage's instructions (continuation lines joined), by stage name. */
const stages = new Map<string, string[]>();
let current: string[] = [];
for (const line of dockerfile.replace(/\\\n\s*/g, ' ').split('\n')) {
  const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
  if (from) {
    current = [line];
    stages.set(from[2] ?? from[1]!, current);
  } else if (line.trim() && !line.trimStart().startsWith('#')) {
    current.push(line.trim());
  }
}
const stage = (name: string) => stages.get(name) ?? [];

describe('Dockerfile', () => {
  it('builds on a pinned Node >= 22.12 image and installs with the repository pnpm version', () => {
    const image = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1];
    expect(image).toMatch(/^node:\d+\.\d+(\.\d+)?-(bookworm-slim|slim)$/);
    const [major, minor] = image!.slice('node:'.length).split(/[.-]/).map(Number);
    expect(major! > 22 || (major === 22 && minor! >= 12)).toBe(true);
    const packageManager = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).packageManager;
    expect(packageManager).toBe(`pnpm@${/^ARG PNPM_VERSION=(\S+)$/m.exec(dockerfile)?.[1]}`);
  });

  it('has a gateway and a full target, each installing with installDeps.sh, running as a non-root user', () => {
    expect([...stages.keys()]).toEqual(
      expect.arrayContaining(['deps-full', 'deps-gateway', 'runtime', 'full', 'gateway']),
    );
    expect(stage('deps-full').join('\n')).toContain('sh deploy/docker/installDeps.sh full');
    expect(stage('deps-gateway').join('\n')).toContain('sh deploy/docker/installDeps.sh gateway');
    expect(stage('full').join('\n')).toContain('COPY --from=deps-full');
    expect(stage('gateway').join('\n')).toContain('COPY --from=deps-gateway');
    for (const target of ['full', 'gateway']) {
      expect(stage(target)[0]).toMatch(/^FROM runtime AS/);
      const user = stage(target).findLast((l) => l.startsWith('USER '));
      expect(user).toBeDefined();
      expect(user).not.toMatch(/^USER (root|0)(:|$)/);
    }
    expect(stage('gateway').join('\n')).toMatch(/LLMP_HEALTH_PORT=13133/);
    expect(stage('gateway').find((l) => l.startsWith('CMD'))).toContain('"gateway"');
    expect(stage('full').find((l) => l.startsWith('CMD'))).toContain('"start"');
  });

  it('checks /healthz and keeps LLMP_DATA_DIR on a volume', () => {
    const runtime = stage('runtime').join('\n');
    expect(runtime).toMatch(/HEALTHCHECK .*\/healthz/);
    const dataDir = /LLMP_DATA_DIR=(\S+)/.exec(runtime)?.[1];
    expect(dataDir).toBeDefined();
    expect(runtime).toContain(`VOLUME ["${dataDir}"]`);
  });
});

const brokers = providedBrokers();
const dir = tempDir('docker-gateway');
const running: LlmpProcess[] = [];
afterAll(async () => {
  for (const p of running) await p.stop('SIGKILL');
  dir.remove();
});

/** Every file `docker build .` would see: the checkout's files git does not ignore. */
function copyBuildContext(to: string): void {
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: repoRoot })
    .toString()
    .split('\0')
    .filter((file) => file && existsSync(join(repoRoot, file)));
  for (const file of files) {
    mkdirSync(dirname(join(to, file)), { recursive: true });
    cpSync(join(repoRoot, file), join(to, file));
  }
}

/** Paths under `root` (links not followed) whose name mentions chdb. */
function chdbPaths(root: string): string[] {
  const found: string[] = [];
  const walk = (path: string, depth: number) => {
    for (const entry of readdirSync(path)) {
      const child = join(path, entry);
      if (/chdb/i.test(entry)) found.push(child);
      else if (depth < 6 && lstatSync(child).isDirectory()) walk(child, depth + 1);
    }
  };
  walk(root, 0);
  return found;
}

describe('the gateway image dependencies (deploy/docker/installDeps.sh gateway)', () => {
  const app = join(dir.path, 'app');

  it('hold no chdb, and llmp gateway runs from them', () => {
    copyBuildContext(app);
    execFileSync('sh', ['deploy/docker/installDeps.sh', 'gateway'], { cwd: app, stdio: 'pipe' });
    expect(existsSync(join(app, 'node_modules/.pnpm'))).toBe(true);
    expect(chdbPaths(join(app, 'node_modules'))).toEqual([]);
    expect(chdbPaths(join(app, 'packages/clickhouse/node_modules'))).toEqual([]);
    // Dev tools (vitest, biome, typescript) are not in a production install.
    expect(existsSync(join(app, 'node_modules/vitest'))).toBe(false);

    const help = spawnSync(
      process.execPath,
      [
        '--experimental-strip-types',
        '--disable-warning=ExperimentalWarning',
        'cmd/llmp/bin/llmp.js',
        'gateway',
        '--help',
      ],
      { cwd: app, encoding: 'utf8' },
    );
    expect(help.stderr).toBe('');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: llmp gateway');
  });

  it.skipIf(!brokers)(
    'serve OTLP into Kafka: the gateway answers the OpenTelemetry SDK and /healthz',
    async () => {
      const topics = isolatedTopics('dockergw');
      const gateway = await startLlmp({
        root: app,
        dataDir: join(dir.path, 'data'),
        command: 'gateway',
        extraYaml: [
          'kafka:',
          `  brokers: "${brokers}"`,
          'exporters:',
          '  kafka:',
          `    topic: ${topics.topic}`,
        ].join('\n'),
      });
      running.push(gateway);
      await sendSpans(gateway.httpPort, (tracer) => tracer.startSpan('from the gateway image deps').end());
      const health = await fetch(`http://127.0.0.1:${gateway.telemetryPort}/healthz`);
      expect(health.status).toBe(200);
      expect(await gateway.stop()).toBe(0);
    },
  );
});
