import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { kafkaMetadata } from './kafkaMetadata.ts';
import { type TestCertificates, testCertificates } from './testCertificates.ts';

const pomFile = fileURLToPath(new URL('./pom.xml', import.meta.url));
const host = '127.0.0.1';

export interface MavenKafka {
  brokers: string[];
  version: string;
  /** The broker's log dir (`log.dirs`): a partition's segment files are `<logDir>/<topic>-<partition>/*.log`. */
  logDir: string;
  /** With `secure`: the listeners that need a login or TLS, and what a client needs for them. */
  secure?: SecureListeners;
  /** Stops the broker and removes its data dir; safe to call twice. */
  stop(): Promise<void>;
  /**
   * Stops the broker process but keeps its data dir and ports, as an outage: SIGTERM is a clean
   * (controlled) shutdown, SIGKILL a crash. Resolves once the process has exited.
   */
  pause(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Starts a paused broker again on the same ports with the same data; resolves when it is ready. */
  resume(): Promise<void>;
}

export interface MavenKafkaOptions {
  /** Where the broker's jars are kept between runs. */
  cacheRoot?: string;
  startTimeoutMs?: number;
  maxHeap?: string;
  /**
   * The controller fences a broker that sent no heartbeat for this long (Kafka's default is 9 s).
   * A crashed broker cannot register again before then, so a test that crashes and resumes one
   * sets it lower.
   */
  brokerSessionTimeoutMs?: number;
  /**
   * Adds SASL_SSL, SASL_PLAINTEXT and SSL (client certificate required) listeners beside the
   * PLAINTEXT one, with certificates made by openssl in the broker's dir and these SASL users
   * (PLAIN from the listener's JAAS config, SCRAM credentials added when the storage is formatted).
   */
  secure?: { users: Record<string, string> };
}

export interface SecureListeners {
  saslSsl: string[];
  saslPlaintext: string[];
  /** TLS with a client certificate required (ssl.client.auth=required), no SASL. */
  ssl: string[];
  certificates: TestCertificates;
}

/**
 * Runs a single-node KRaft Apache Kafka broker from its Maven Central jars (see pom.xml beside
 * this file) with the machine's Java, on free 127.0.0.1 ports, with its data in a fresh temp
 * dir. The jars are fetched with `mvn dependency:copy-dependencies` once and cached.
 * @example const kafka = await mavenKafka(); afterAll(() => kafka.stop());
 */
export async function mavenKafka({
  cacheRoot = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'llmp'),
  startTimeoutMs = 90_000,
  maxHeap = '512m',
  brokerSessionTimeoutMs,
  secure,
}: MavenKafkaOptions = {}): Promise<MavenKafka> {
  const pom = readFileSync(pomFile, 'utf8');
  const version = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom)?.[1];
  if (!version) throw new Error(`no <kafka.version> in ${pomFile}`);
  const libs = await kafkaLibs({ pom, version, cacheRoot });
  const java = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
  const classpath = join(libs, '*');
  const dir = mkdtempSync(join(tmpdir(), 'llmp-kafka-'));
  let broker: ReturnType<typeof brokerProcess> | undefined;
  try {
    const [port, controllerPort, saslSslPort, saslPlaintextPort, sslPort] = (await freePorts(
      secure ? 5 : 2,
    )) as [number, number, number, number, number];
    const serverFile = join(dir, 'server.properties');
    const logConfigFile = join(dir, 'log4j2.properties');
    const certificates = secure ? testCertificates(dir) : undefined;
    writeFileSync(
      serverFile,
      serverProperties({ port, controllerPort, logDir: join(dir, 'data'), brokerSessionTimeoutMs }) +
        (secure && certificates
          ? secureProperties({
              port,
              controllerPort,
              saslSslPort,
              saslPlaintextPort,
              sslPort,
              users: secure.users,
              certificates,
            })
          : ''),
    );
    // SCRAM credentials live in the cluster metadata: KRaft adds them when formatting (KIP-900).
    const scram = Object.entries(secure?.users ?? {}).flatMap(([name, password]) =>
      ['SCRAM-SHA-256', 'SCRAM-SHA-512'].flatMap((m) => [
        '--add-scram',
        `${m}=[name=${name},password=${password}]`,
      ]),
    );
    writeFileSync(logConfigFile, logConfig);
    const jvm = [`-Dlog4j2.configurationFile=${logConfigFile}`, '-cp', classpath];
    // Kafka 4 formats a KRaft node before its first start; --standalone makes this node the
    // whole dynamic controller quorum (KIP-853), matching controller.quorum.bootstrap.servers.
    const format = await run(
      java,
      [
        ...jvm,
        'kafka.tools.StorageTool',
        'format',
        '--config',
        serverFile,
        '--cluster-id',
        clusterId(),
        '--standalone',
        ...scram,
      ],
      { timeoutMs: 60_000 },
    );
    if (format.code !== 0) {
      throw new Error(
        `kafka.tools.StorageTool format exited with ${format.code}:\n${lastLines(format.output)}`,
      );
    }
    broker = brokerProcess({
      java,
      args: [`-Xmx${maxHeap}`, ...jvm, 'kafka.Kafka', serverFile],
      dir,
      port,
      startTimeoutMs,
    });
    await broker.resume();
    const listeners =
      secure && certificates
        ? {
            secure: {
              saslSsl: [`${host}:${saslSslPort}`],
              saslPlaintext: [`${host}:${saslPlaintextPort}`],
              ssl: [`${host}:${sslPort}`],
              certificates,
            },
          }
        : {};
    return { brokers: [`${host}:${port}`], version, logDir: join(dir, 'data'), ...listeners, ...broker };
  } catch (error) {
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * The directory of the Kafka jars (broker, kafka-clients with the snappy, LZ4 and zstd codec
 * jars), copied from Maven Central on first use and cached like the broker's.
 * @example const libs = await kafkaJars(); spawn('java', ['-cp', join(libs, '*'), …]);
 */
export async function kafkaJars({
  cacheRoot = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'llmp'),
}: {
  cacheRoot?: string;
} = {}): Promise<string> {
  const pom = readFileSync(pomFile, 'utf8');
  const version = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom)?.[1];
  if (!version) throw new Error(`no <kafka.version> in ${pomFile}`);
  return kafkaLibs({ pom, version, cacheRoot });
}

/** The broker's jars, copied from Maven Central on first use; keyed by the pom's content. */
async function kafkaLibs({ pom, version, cacheRoot }: { pom: string; version: string; cacheRoot: string }) {
  const pomHash = createHash('sha256').update(pom).digest('hex').slice(0, 8);
  const cacheDir = join(cacheRoot, `kafka-${version}-${pomHash}`);
  const libs = join(cacheDir, 'libs');
  if (existsSync(libs)) return libs;
  mkdirSync(cacheDir, { recursive: true });
  // Copied aside and renamed into place, so an interrupted download is never taken as complete.
  const partial = mkdtempSync(join(cacheDir, 'libs-partial-'));
  try {
    const copy = await run(
      'mvn',
      ['-q', '-B', '-f', pomFile, 'dependency:copy-dependencies', `-DoutputDirectory=${partial}`],
      { timeoutMs: 600_000 },
    );
    if (copy.code !== 0) {
      throw new Error(
        `mvn dependency:copy-dependencies exited with ${copy.code}:\n${lastLines(copy.output)}`,
      );
    }
    renameSync(partial, libs);
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    // Another test process may have finished the same download first.
    if (!existsSync(libs)) throw error;
  }
  return libs;
}

/**
 * One broker's process over its lifetime: started by `resume()`, stopped by `pause()` (both keep
 * the data dir) or for good by `stop()` (which removes it).
 */
function brokerProcess({
  java,
  args,
  dir,
  port,
  startTimeoutMs,
}: {
  java: string;
  args: string[];
  dir: string;
  port: number;
  startTimeoutMs: number;
}): Pick<MavenKafka, 'stop' | 'pause' | 'resume'> {
  const logFile = join(dir, 'broker.log');
  let running: { child: ChildProcess; exited: Promise<void>; exit: () => string | undefined } | undefined;
  let stopped = false;
  // A test run that ends without its teardown must not leave a broker behind.
  const killNow = () => running?.child.kill('SIGKILL');
  process.on('exit', killNow);

  function spawnBroker() {
    const logFd = openSync(logFile, 'a');
    const child = spawn(java, args, { cwd: dir, stdio: ['ignore', logFd, logFd] });
    closeSync(logFd);
    let exit: string | undefined;
    const exited = new Promise<void>((resolve) => {
      child.once('error', (error) => {
        exit = `could not be started: ${error.message}`;
        resolve();
      });
      child.once('exit', (code, signal) => {
        exit = `exited with ${signal ?? `code ${code}`}`;
        resolve();
      });
    });
    return { child, exited, exit: () => exit };
  }

  async function pause(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const current = running;
    running = undefined;
    if (!current || current.exit() !== undefined) return;
    current.child.kill(signal);
    const timer = setTimeout(() => current.child.kill('SIGKILL'), 15_000);
    await current.exited;
    clearTimeout(timer);
  }

  async function stop(): Promise<void> {
    if (stopped) return;
    stopped = true;
    await pause();
    process.off('exit', killNow);
    rmSync(dir, { recursive: true, force: true });
  }

  async function resume(): Promise<void> {
    if (stopped) throw new Error('the Kafka broker was stopped; it cannot be resumed');
    if (running) return;
    const deadline = Date.now() + startTimeoutMs;
    for (;;) {
      // The log is appended to across restarts; a failure shows this start's lines only.
      const logStart = existsSync(logFile) ? statSync(logFile).size : 0;
      const logSinceStart = () => readFileSync(logFile).subarray(logStart).toString('utf8');
      const started = spawnBroker();
      running = started;
      for (;;) {
        const exit = started.exit();
        if (exit !== undefined) {
          running = undefined;
          const log = logSinceStart();
          // On a resume, the port may briefly be held (a client's ephemeral port, a socket not yet
          // released): try again rather than fail the test.
          if (/Address already in use/.test(log) && Date.now() < deadline) {
            await sleep(1000);
            break;
          }
          throw new Error(`the Kafka broker (${java} ${args.join(' ')}) ${exit} before it was ready:\n\
${lastLines(log)}`);
        }
        const brokers = await kafkaMetadata({ host, port }).catch(() => []);
        if (brokers.some((broker) => broker.port === port)) return;
        if (Date.now() > deadline) {
          const log = logSinceStart();
          await pause('SIGKILL');
          throw new Error(`the Kafka broker did not answer a Metadata request on ${host}:${port} within \
${startTimeoutMs} ms:\n${lastLines(log)}`);
        }
        await Promise.race([sleep(250), started.exited]);
      }
    }
  }

  return { stop, pause, resume };
}

function serverProperties({
  port,
  controllerPort,
  logDir,
  brokerSessionTimeoutMs,
}: {
  port: number;
  controllerPort: number;
  logDir: string;
  brokerSessionTimeoutMs: number | undefined;
}): string {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.bootstrap.servers=${host}:${controllerPort}`,
    `listeners=PLAINTEXT://${host}:${port},CONTROLLER://${host}:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://${host}:${port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${logDir}`,
    'num.partitions=3',
    'auto.create.topics.enable=true',
    // One node: every internal topic must fit on it.
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    ...(brokerSessionTimeoutMs === undefined
      ? []
      : [
          `broker.session.timeout.ms=${brokerSessionTimeoutMs}`,
          // Several heartbeats per session, so a loaded machine does not fence a live broker.
          `broker.heartbeat.interval.ms=${Math.max(100, Math.floor(brokerSessionTimeoutMs / 6))}`,
        ]),
    '',
  ].join('\n');
}

/** The SASL_SSL, SASL_PLAINTEXT and SSL listeners, appended to serverProperties (later keys win). */
function secureProperties({
  port,
  controllerPort,
  saslSslPort,
  saslPlaintextPort,
  sslPort,
  users,
  certificates,
}: {
  port: number;
  controllerPort: number;
  saslSslPort: number;
  saslPlaintextPort: number;
  sslPort: number;
  users: Record<string, string>;
  certificates: TestCertificates;
}): string {
  const plainUsers = Object.entries(users)
    .map(([name, password]) => `user_${name}="${password}"`)
    .join(' ');
  const jaas = (listener: string) => [
    `listener.name.${listener}.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required ${plainUsers};`,
    `listener.name.${listener}.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;`,
    `listener.name.${listener}.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;`,
  ];
  const secure = `SASL_SSL://${host}:${saslSslPort},SASL_PLAINTEXT://${host}:${saslPlaintextPort},SSL://${host}:${sslPort}`;
  return [
    `listeners=PLAINTEXT://${host}:${port},CONTROLLER://${host}:${controllerPort},${secure}`,
    `advertised.listeners=PLAINTEXT://${host}:${port},${secure}`,
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL',
    'sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
    ...jaas('sasl_ssl'),
    ...jaas('sasl_plaintext'),
    // PEM key stores (Kafka >= 2.7, KIP-651): the key is unencrypted, so no ssl.key.password.
    'ssl.keystore.type=PEM',
    `ssl.keystore.location=${certificates.serverKeystoreFile}`,
    'ssl.truststore.type=PEM',
    `ssl.truststore.location=${certificates.caFile}`,
    'listener.name.ssl.ssl.client.auth=required',
    '',
  ].join('\n');
}

// Log to stdout (redirected to broker.log) without the config dumps that fill the tail.
const logConfig = `status = warn
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.out.ref = out
logger.config.name = org.apache.kafka.common.config.AbstractConfig
logger.config.level = warn
`;

/** A Kafka cluster id: 16 random bytes in URL-safe base64, never starting with '-' (read as an option). */
function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  const ports = await Promise.all(
    servers.map(
      (server) =>
        new Promise<number>((resolve, reject) => {
          server.once('error', reject);
          server.listen(0, host, () => resolve((server.address() as { port: number }).port));
        }),
    ),
  );
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

function run(
  command: string,
  args: string[],
  { timeoutMs }: { timeoutMs: number },
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-200_000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => {
      output += `\n(killed after ${timeoutMs} ms)`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`${command} could not be started: ${error.message}`));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

function lastLines(text: string, count = 40): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}
