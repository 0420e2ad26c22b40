import { defineConfig } from 'vitest/config';

// Two projects: fast unit tests beside the code, and integration / end-to-end suites in test/
// that start real processes (the CLI, the embedded ClickHouse engine, the OTel SDK as sender).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'cmd/*/src/**/*.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          // One real Kafka broker for the run (KAFKA_BROKERS, testcontainers, or Maven jars + Java 17).
          globalSetup: ['./test/support/kafkaGlobalSetup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Each suite owns an embedded ClickHouse data dir and fixed ports; run them one at a time.
          fileParallelism: false,
        },
      },
    ],
  },
});
