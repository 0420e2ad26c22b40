// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the chart's configs hold ${env:…} references.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { repoRoot } from '../support/llmpProcess.ts';
import { tempDir } from '../support/tempDir.ts';

// deploy/helm/llmp rendered by `helm template` and validated by `kubeconform -strict` against the
// Kubernetes JSON schemas. .ci/run installs helm and kubeconform from the Go module proxy into
// ~/.cache/llmp/go-bin and the schemas from PyPI (kubernetes-validate ships them, nothing is
// fetched from GitHub); without them the suite is skipped, except under CI=true where it fails.

const cache = join(homedir(), '.cache/llmp');
const goBin = process.env.LLMP_GO_BIN ?? join(cache, 'go-bin');
const helm = join(goBin, 'helm');
const kubeconform = join(goBin, 'kubeconform');
const kubernetesVersion = '1.37.0';
/** kubernetes-validate's schemas, in kubeconform's layout: v<version>-local[-strict]/<kind>-<group>-<version>.json. */
function schemaDir(): string | undefined {
  const lib = join(cache, 'k8s-schemas/lib');
  if (!existsSync(lib)) return undefined;
  for (const python of readdirSync(lib)) {
    const dir = join(lib, python, 'site-packages/kubernetes_validate/kubernetes-json-schema');
    if (existsSync(join(dir, `v${kubernetesVersion}-local-strict`))) return dir;
  }
  return undefined;
}
const schemas = schemaDir();
const tools = existsSync(helm) && existsSync(kubeconform) && schemas !== undefined;

const chart = join(repoRoot, 'deploy/helm/llmp');

interface Manifest {
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  spec?: Record<string, unknown> & {
    template?: { spec: { containers: Container[]; restartPolicy?: string } };
    endpoints?: Array<{ port: string }>;
  };
  data?: Record<string, string>;
}
interface Container {
  args: string[];
  env: Array<{ name: string; value?: string; valueFrom?: unknown }>;
  image: string;
  ports: Array<{ name: string; containerPort: number }>;
  livenessProbe: { httpGet: { path: string; port: number; scheme: string } };
  readinessProbe: { httpGet: { path: string; port: number; scheme: string } };
  securityContext: { allowPrivilegeEscalation: boolean };
}

const work = tempDir('helm');
afterAll(work.remove);

/**
 * kubernetes-validate's schemas as kubeconform can load them from disk: they carry
 * https://kubernetes.io/api/... $ids and refer to '/api/_definitions.json' under that base, which
 * kubeconform would fetch; without the $ids the refs, made relative, name the sibling file.
 */
function kubeconformSchemas(): string {
  const name = `v${kubernetesVersion}-local-strict`;
  const to = join(work.path, 'schemas', name);
  if (existsSync(to)) return join(work.path, 'schemas');
  mkdirSync(to, { recursive: true });
  for (const file of readdirSync(join(schemas!, name))) {
    if (!file.endsWith('.json')) continue;
    const { $id: _, ...schema } = JSON.parse(
      readFileSync(join(schemas!, name, file), 'utf8').replaceAll(
        '"/api/_definitions.json#',
        '"_definitions.json#',
      ),
    );
    writeFileSync(join(to, file), JSON.stringify(schema));
  }
  return join(work.path, 'schemas');
}

function render(...args: string[]): string {
  return execFileSync(helm, ['template', 'llmp', chart, ...args], { encoding: 'utf8' });
}

/** kubeconform -strict over the rendered manifests; ServiceMonitor skipped (below). */
function validate(manifests: string): { valid: number; invalid: number; errors: number; skipped: number } {
  const location = `${kubeconformSchemas()}/{{ .NormalizedKubernetesVersion }}-local{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json`;
  const out = execFileSync(
    kubeconform,
    [
      '-strict',
      '-summary',
      '-output',
      'json',
      '-kubernetes-version',
      kubernetesVersion,
      '-schema-location',
      location,
      // The Prometheus Operator's CRD schema is in no package registry llmp can reach; the
      // ServiceMonitor is checked against the Services it selects by the test instead.
      '-skip',
      'ServiceMonitor',
      '-',
    ],
    { input: manifests, encoding: 'utf8' },
  );
  return (JSON.parse(out) as { summary: { valid: number; invalid: number; errors: number; skipped: number } })
    .summary;
}

const documents = (manifests: string) =>
  parseAllDocuments(manifests)
    .map((doc) => doc.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null);

const kinds = (manifests: Manifest[]) => manifests.map((m) => `${m.kind}/${m.metadata.name}`).sort();

describe.skipIf(!tools && process.env.CI !== 'true')('deploy/helm/llmp', () => {
  it('has helm, kubeconform and the Kubernetes schemas (.ci/run installs them)', () => {
    expect({ helm: existsSync(helm), kubeconform: existsSync(kubeconform), schemas }).toEqual({
      helm: true,
      kubeconform: true,
      schemas: expect.any(String),
    });
  });

  it('renders one Deployment per role with probes on each role health port, valid for kubeconform -strict', () => {
    const manifests = render();
    const docs = documents(manifests);
    expect(validate(manifests)).toEqual({ valid: docs.length, invalid: 0, errors: 0, skipped: 0 });
    expect(kinds(docs)).toEqual(
      [
        'ConfigMap/llmp-gateway',
        'ConfigMap/llmp-ingester',
        'ConfigMap/llmp-migrate',
        'ConfigMap/llmp-query',
        'Deployment/llmp-gateway',
        'Deployment/llmp-ingester',
        'Deployment/llmp-query',
        'HorizontalPodAutoscaler/llmp-gateway',
        'Job/llmp-migrate',
        'HorizontalPodAutoscaler/llmp-query',
        'PodDisruptionBudget/llmp-gateway',
        'PodDisruptionBudget/llmp-ingester',
        'PodDisruptionBudget/llmp-query',
        'Secret/llmp-api-keys',
        'Service/llmp-gateway',
        'Service/llmp-ingester',
        'Service/llmp-query',
      ].sort(),
    );
    const healthPorts = { gateway: 13133, ingester: 13134, query: 8080 };
    for (const [role, port] of Object.entries(healthPorts)) {
      const deployment = docs.find((m) => m.kind === 'Deployment' && m.metadata.name === `llmp-${role}`)!;
      const container = deployment.spec!.template!.spec.containers[0]!;
      // The migrate Job brings the schema up to date; the roles with a store only check it.
      const noMigrate = role === 'gateway' ? [] : ['--no-migrate'];
      expect(container.args, role).toEqual([role, '--config', '/etc/llmp/config.yaml', ...noMigrate]);
      expect(container.livenessProbe.httpGet, role).toEqual({ path: '/healthz', port, scheme: 'HTTP' });
      expect(container.readinessProbe.httpGet, role).toEqual({ path: '/readyz', port, scheme: 'HTTP' });
      expect(container.image, role).toBe(role === 'gateway' ? 'llmp:gateway' : 'llmp:full');
      expect(container.securityContext.allowPrivilegeEscalation).toBe(false);
    }
    // The ConfigMap is the role's YAML config, listening where the probes look.
    const gatewayConfig = docs.find((m) => m.kind === 'ConfigMap' && m.metadata.name === 'llmp-gateway')!;
    expect(gatewayConfig.data!['config.yaml']).toContain('endpoint: 0.0.0.0:13133');
    // Spans, log records and data points (README, Signals): the logs and metrics pipelines of each Kafka role.
    const roleConfig = (name: string) =>
      parse(
        docs.find((m) => m.kind === 'ConfigMap' && m.metadata.name === `llmp-${name}`)!.data!['config.yaml']!,
      ) as {
        service: { pipelines: Record<string, unknown> };
        receivers: { kafka?: { logs?: unknown; metrics?: unknown } };
        exporters: { kafka?: { logs?: unknown; metrics?: unknown } };
      };
    expect(roleConfig('gateway').service.pipelines.logs).toEqual({
      receivers: ['otlp'],
      exporters: ['kafka'],
    });
    expect(roleConfig('gateway').exporters.kafka?.logs).toEqual({ topic: 'otlp_logs' });
    expect(roleConfig('ingester').service.pipelines.logs).toEqual({
      receivers: ['kafka'],
      exporters: ['clickhouse'],
    });
    expect(roleConfig('ingester').receivers.kafka?.logs).toEqual({
      topic: 'otlp_logs',
      deadLetterTopic: 'otlp_logs_dlq',
    });
    expect(roleConfig('gateway').service.pipelines.metrics).toEqual({
      receivers: ['otlp'],
      exporters: ['kafka'],
    });
    expect(roleConfig('gateway').exporters.kafka?.metrics).toEqual({ topic: 'otlp_metrics' });
    expect(roleConfig('ingester').service.pipelines.metrics).toEqual({
      receivers: ['kafka'],
      exporters: ['clickhouse'],
    });
    expect(roleConfig('ingester').receivers.kafka?.metrics).toEqual({
      topic: 'otlp_metrics',
      deadLetterTopic: 'otlp_metrics_dlq',
    });
  });

  it('runs llmp migrate once per install or upgrade: a hook Job with the ingester store section', () => {
    const docs = documents(render());
    const job = docs.find((m) => m.kind === 'Job')!;
    const hook = { 'helm.sh/hook': 'pre-install,pre-upgrade' };
    expect(job.metadata.annotations).toMatchObject(hook);
    const configMap = docs.find((m) => m.kind === 'ConfigMap' && m.metadata.name === 'llmp-migrate')!;
    // Hooks run before the release's own resources: the Job's ConfigMap is an earlier hook.
    expect(configMap.metadata.annotations).toMatchObject(hook);
    expect(Number(configMap.metadata.annotations!['helm.sh/hook-weight'])).toBeLessThan(
      Number(job.metadata.annotations!['helm.sh/hook-weight']),
    );
    expect(job.spec!.template!.spec.restartPolicy).toBe('Never');
    expect(job.spec!.template!.spec.containers[0]!.args).toEqual([
      'migrate',
      '--config',
      '/etc/llmp/config.yaml',
    ]);
    const ingester = docs.find((m) => m.kind === 'ConfigMap' && m.metadata.name === 'llmp-ingester')!;
    const storeOf = (m: Manifest) =>
      (parseAllDocuments(m.data!['config.yaml']!)[0]!.toJS() as { clickhouse: unknown }).clickhouse;
    expect(storeOf(configMap)).toEqual(storeOf(ingester));

    const without = documents(render('--set', 'migrate.enabled=false'));
    expect(without.some((m) => m.kind === 'Job')).toBe(false);
    for (const deployment of without.filter((m) => m.kind === 'Deployment')) {
      expect(deployment.spec!.template!.spec.containers[0]!.args).not.toContain('--no-migrate');
    }
  });

  it('probes the query listener over HTTPS when it has a tls section', () => {
    const tls =
      '{"endpoint":"0.0.0.0:8080","tls":{"certFile":"/etc/llmp-tls/tls.crt","keyFile":"/etc/llmp-tls/tls.key"}}';
    const manifests = render(
      '--set-json',
      `query.config.query=${tls}`,
      '--set-json',
      'secretMounts=[{"secretName":"llmp-tls","mountPath":"/etc/llmp-tls"}]',
    );
    const docs = documents(manifests);
    expect(validate(manifests)).toEqual({ valid: docs.length, invalid: 0, errors: 0, skipped: 0 });
    const schemeOf = (role: string) =>
      docs.find((m) => m.kind === 'Deployment' && m.metadata.name === `llmp-${role}`)!.spec!.template!.spec
        .containers[0]!.readinessProbe.httpGet.scheme;
    expect(schemeOf('query')).toBe('HTTPS');
    expect(schemeOf('gateway')).toBe('HTTP');
    // The certificate comes from a Secret mounted in every role (secretMounts).
    const pod = docs.find((m) => m.metadata.name === 'llmp-query' && m.kind === 'Deployment')!.spec!.template!
      .spec as unknown as { volumes: Array<{ secret?: { secretName: string } }> };
    expect(pod.volumes.map((v) => v.secret?.secretName)).toContain('llmp-tls');
  });

  it('renders the cluster example (existing Secrets, MLflow exporter, ServiceMonitors) valid too', () => {
    const manifests = render('-f', join(chart, 'values-cluster.yaml'));
    const docs = documents(manifests);
    expect(validate(manifests)).toEqual({ valid: docs.length - 4, invalid: 0, errors: 0, skipped: 4 });
    expect(docs.some((m) => m.kind === 'Secret')).toBe(false);
    expect(kinds(docs)).toContain('Deployment/llmp-mlflow-exporter');
    // Kafka over SASL_SSL: every Kafka role's config logs in with the password from the Secret.
    for (const role of ['gateway', 'ingester', 'query', 'mlflow-exporter']) {
      const config = docs.find((m) => m.kind === 'ConfigMap' && m.metadata.name === `llmp-${role}`)!;
      const kafka = (parse(config.data!['config.yaml']!) as { kafka: Record<string, unknown> }).kafka;
      expect(kafka, role).toMatchObject({
        auth: {
          sasl: { mechanism: 'SCRAM-SHA-512', username: 'llmp', password: '${env:KAFKA_SASL_PASSWORD}' },
        },
        tls: { enabled: true, caFile: '/etc/llmp-kafka-tls/ca.crt' },
      });
      const deployment = docs.find((m) => m.kind === 'Deployment' && m.metadata.name === `llmp-${role}`)!;
      const container = deployment.spec!.template!.spec.containers[0]!;
      expect(
        container.env.find((e) => e.name === 'KAFKA_SASL_PASSWORD'),
        role,
      ).toEqual({
        name: 'KAFKA_SASL_PASSWORD',
        valueFrom: { secretKeyRef: { name: 'llmp-kafka', key: 'password' } },
      });
    }
    // Each ServiceMonitor scrapes a port its role's Service has.
    for (const monitor of docs.filter((m) => m.kind === 'ServiceMonitor')) {
      const service = docs.find((m) => m.kind === 'Service' && m.metadata.name === monitor.metadata.name)!;
      const portNames = (service.spec!.ports as Array<{ name: string }>).map((p) => p.name);
      expect(portNames).toContain(monitor.spec!.endpoints![0]!.port);
    }
  });

  it('renders mode=start as one Recreate Deployment on a PersistentVolumeClaim', () => {
    const manifests = render('--set', 'mode=start');
    const docs = documents(manifests);
    expect(validate(manifests)).toEqual({ valid: docs.length, invalid: 0, errors: 0, skipped: 0 });
    expect(kinds(docs)).toEqual(
      [
        'ConfigMap/llmp-start',
        'Deployment/llmp-start',
        'PersistentVolumeClaim/llmp-data',
        'Secret/llmp-api-keys',
        'Service/llmp-start',
      ].sort(),
    );
    const deployment = docs.find((m) => m.kind === 'Deployment')!;
    expect(deployment.spec).toMatchObject({ replicas: 1, strategy: { type: 'Recreate' } });
  });
});
