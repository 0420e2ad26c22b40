import type { TestProject } from 'vitest/node';
import { kafkaBroker } from './kafkaBroker.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Comma list of host:port of the run's Kafka broker, '' when there is none. */
    kafkaBrokers: string;
  }
}

/**
 * Vitest globalSetup: one Kafka broker for the whole integration run, handed to tests as
 * `inject('kafkaBrokers')` and stopped in teardown.
 * @example const brokers = inject('kafkaBrokers'); describe.skipIf(!brokers)('…', …);
 */
export default async function kafkaGlobalSetup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const broker = await kafkaBroker();
  if (broker) {
    console.log(
      `Kafka (${broker.source}) at ${broker.brokers.join(',')}, ready in ${Date.now() - started} ms`,
    );
  }
  project.provide('kafkaBrokers', broker?.brokers.join(',') ?? '');
  return async () => {
    await broker?.stop();
  };
}
