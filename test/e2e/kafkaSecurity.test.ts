import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedTopics, spanCounts } from '../support/distributedRoles.ts';
import { type MavenKafka, mavenKafka } from '../support/kafka/mavenKafka.ts';
import { type LlmpProcess, startLlmp } from '../support/llmpProcess.ts';
import { sendTrace } from '../support/sdkTrace.ts';
import { tempDir } from '../support/tempDir.ts';

// gateway → Kafka over SASL_SSL (SCRAM-SHA-512, the broker's certificate checked against a CA
// made for this run) → ingester → embedded store, both roles started as a user starts them,
// with the password given through an environment variable as the presets do.
const users = { llmp: 'llmp-e2e-secret' };
const required = process.env.LLMP_REQUIRE_KAFKA === '1';
const dir = tempDir('kafka-security');
const running: LlmpProcess[] = [];
let kafka: MavenKafka | undefined;

beforeAll(async () => {
  try {
    kafka = await mavenKafka({ secure: { users } });
  } catch (error) {
    if (required) throw error;
    console.warn(`No Kafka from Maven jars; the SASL_SSL e2e suite is skipped: ${(error as Error).message}`);
  }
}, 180_000);
afterAll(async () => {
  for (const p of running) await p.stop('SIGKILL');
  await kafka?.stop();
  dir.remove();
});

/** The `kafka` section of a role on the SASL_SSL listener; the password from KAFKA_SASL_PASSWORD. */
function kafkaYaml(clientId: string): string {
  return [
    'kafka:',
    `  brokers: "${kafka!.secure!.saslSsl.join(',')}"`,
    `  clientId: ${clientId}`,
    '  auth:',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a config file's ${env:…} reference, as the presets give the password.
    '    sasl: { mechanism: SCRAM-SHA-512, username: llmp, password: "${env:KAFKA_SASL_PASSWORD}" }',
    '  tls:',
    `    caFile: ${kafka!.secure!.certificates.caFile}`,
  ].join('\n');
}

describe('distributed roles on Kafka with SASL_SSL', () => {
  it('OTel SDK → gateway → Kafka (SASL_SSL, SCRAM-SHA-512) → ingester → store: every span arrives', async () => {
    if (!kafka?.secure) return expect(required).toBe(false);
    const topics = isolatedTopics('sasl');
    const env = { KAFKA_SASL_PASSWORD: users.llmp };
    const gateway = await startLlmp({
      dataDir: `${dir.path}/gateway`,
      command: 'gateway',
      extraYaml: [
        kafkaYaml('llmp-gateway-sasl'),
        'exporters:',
        '  kafka:',
        `    topic: ${topics.topic}`,
      ].join('\n'),
      env,
    });
    running.push(gateway);
    const ingester = await startLlmp({
      dataDir: `${dir.path}/ingester`,
      command: 'ingester',
      args: ['--with-api'],
      extraYaml: [
        kafkaYaml('llmp-ingester-sasl'),
        'receivers:',
        '  kafka:',
        `    topic: ${topics.topic}`,
        `    groupId: ${topics.groupId}`,
        `    deadLetterTopic: ${topics.deadLetterTopic}`,
        'jobEvents:',
        `  topic: ${topics.jobEvents}`,
      ].join('\n'),
      env,
    });
    running.push(ingester);

    const traceIds: string[] = [];
    for (let i = 0; i < 2; i++) {
      const sent = await sendTrace(
        new ProtoExporter({ url: `http://127.0.0.1:${gateway.httpPort}/v1/traces` }),
        `sasl-ssl-${i}`,
      );
      expect(sent.exporter.results.every((r) => r.code === ExportResultCode.SUCCESS)).toBe(true);
      traceIds.push(sent.traceId);
    }
    const counts = await spanCounts(ingester, traceIds, 3);
    expect([...counts.values()]).toEqual([3, 3]);
    const trace = (await (await ingester.api(`/v1/traces/${traceIds[0]}`)).json()) as {
      spans: Array<{ name: string }>;
    };
    expect(trace.spans.map((s) => s.name)).toContain('chat gpt-4o');
    for (const role of [gateway, ingester]) {
      expect((await fetch(`http://127.0.0.1:${role.telemetryPort}/readyz`)).status).toBe(200);
    }
  });

  it.each(['gateway', 'ingester'] as const)(
    'a wrong password stops the %s at start with one line naming the login (exit 2, no stack trace)',
    async (command) => {
      if (!kafka?.secure) return expect(required).toBe(false);
      const topics = isolatedTopics('saslwrong');
      const started = await startLlmp({
        dataDir: `${dir.path}/wrong-${command}`,
        command,
        extraYaml: [
          kafkaYaml(`llmp-${command}-wrong`),
          command === 'gateway' ? 'exporters:' : 'receivers:',
          '  kafka:',
          `    topic: ${topics.topic}`,
          ...(command === 'ingester'
            ? [`    groupId: ${topics.groupId}`, `    deadLetterTopic: ${topics.deadLetterTopic}`]
            : []),
        ].join('\n'),
        env: { KAFKA_SASL_PASSWORD: 'not-the-password' },
        timeoutMs: 60_000,
      }).catch((error: unknown) => error as Error);
      if (!(started instanceof Error)) {
        running.push(started);
        throw new Error(`the ${command} started with a wrong Kafka password`);
      }
      expect(started.message).toMatch(/llmp exited with code 2 before it was ready/);
      expect(started.message).toMatch(
        /llmp: (exporters|receivers)\.kafka: Kafka at 127\.0\.0\.1:\d+ refused the SASL SCRAM-SHA-512 login of user "llmp" .*check kafka\.auth\.sasl/,
      );
      expect(started.message).not.toMatch(/\n\s+at /);
      expect(started.message).not.toContain('not-the-password');
    },
  );
});
