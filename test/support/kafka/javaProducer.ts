import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kafkaJars } from './mavenKafka.ts';

const source = fileURLToPath(new URL('./RecordProducer.java', import.meta.url));
const readerSource = fileURLToPath(new URL('./RecordConsumer.java', import.meta.url));

export interface JavaRecord {
  key: string | null;
  value: Uint8Array;
  headers?: Record<string, string>;
}

/**
 * Writes records with the Apache Kafka Java client (kafka-clients from the cached Maven jars,
 * run as a single-file Java program), compressed with `compression` (`compression.type`: none,
 * gzip, snappy, lz4, zstd). Resolves with each record's partition and offset once all are
 * acknowledged.
 * @example await javaProducer({ brokers, topic, compression: 'lz4', records: [{ key: 'k', value }] });
 */
export async function javaProducer({
  brokers,
  topic,
  compression,
  records,
}: {
  brokers: string[];
  topic: string;
  compression: string;
  records: JavaRecord[];
}): Promise<Array<{ partition: number; offset: string }>> {
  const libs = await kafkaJars();
  const java = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
  const b64 = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64');
  const input = records
    .map((r) =>
      [
        r.key === null ? '-' : b64(r.key),
        b64(r.value),
        ...Object.entries(r.headers ?? {}).map(([name, value]) => `${b64(name)}=${b64(value)}`),
      ].join(' '),
    )
    .join('\n');
  const child = spawn(java, ['-cp', join(libs, '*'), source, brokers.join(','), topic, compression], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-20_000)));
  child.stdin.end(`${input}\n`);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) throw new Error(`the Java producer (${compression}) exited with ${code}:\n${stderr}`);
  return stdout
    .trim()
    .split('\n')
    .map((line) => {
      const [partition, offset] = line.split(' ');
      return { partition: Number(partition), offset: offset! };
    });
}

/**
 * Reads `count` records of a topic from the beginning with the Apache Kafka Java client, which
 * decompresses every codec: a reader of llmp's records that is not llmp's.
 * @example const records = await javaConsumer({ brokers, topic, count: 30 });
 */
export async function javaConsumer({
  brokers,
  topic,
  count,
}: {
  brokers: string[];
  topic: string;
  count: number;
}): Promise<Array<{ key: string | null; value: Buffer; headers: Record<string, string> }>> {
  const libs = await kafkaJars();
  const java = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
  const child = spawn(java, ['-cp', join(libs, '*'), readerSource, brokers.join(','), topic, String(count)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-20_000)));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) throw new Error(`the Java consumer exited with ${code}:\n${stderr}`);
  const text = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');
  return stdout
    .trim()
    .split('\n')
    .map((line) => {
      const [key, value, ...headers] = line.split(' ');
      return {
        key: key === '-' ? null : text(key!),
        value: Buffer.from(value!, 'base64'),
        headers: Object.fromEntries(headers.map((h) => h.split('=').map(text) as [string, string])),
      };
    });
}
