import { resolve } from 'node:path';
import { migrate, openStore, StoreOpenError } from '@llmp/clickhouse';
import { ConfigError, createLogger, loadConfig } from '@llmp/pipeline';
import { Command } from 'commander';
import { allInOneConfig } from './allInOneConfig.ts';
import { runStart } from './runStart.ts';

interface CommonOptions {
  config?: string;
  dataDir?: string;
}

function load(options: CommonOptions) {
  const file = options.config ?? process.env.LLMP_CONFIG;
  const config = loadConfig({ schema: allInOneConfig, file: file || undefined, env: process.env });
  const dataDir = resolve(options.dataDir ?? process.env.LLMP_DATA_DIR ?? config.dataDir ?? './.llmp');
  return { config, dataDir };
}

/** Start-up failures the user can fix get one readable line, not a stack trace. */
function fail(error: unknown): never {
  const e = error as NodeJS.ErrnoException & { address?: string; port?: number };
  if (error instanceof ConfigError || error instanceof StoreOpenError) {
    process.stderr.write(`llmp: ${error.message}\n`);
    process.exit(2);
  }
  if (e?.code === 'EADDRINUSE') {
    process.stderr.write(
      `llmp: port ${e.port ?? ''} on ${e.address ?? ''} is already in use; is another llmp running?\n`,
    );
    process.exit(2);
  }
  process.stderr.write(`llmp: ${e?.stack ?? String(error)}\n`);
  process.exit(1);
}

const program = new Command('llmp').description('OTLP trace ingestion pipeline for LLM applications');

program
  .command('start')
  .description('run everything in one process: OTLP receiver (4317/4318), embedded store, query API (8080)')
  .option('-c, --config <file>', 'YAML config file (env LLMP_CONFIG)')
  .option('-d, --data-dir <dir>', 'data dir of the embedded store (env LLMP_DATA_DIR, default ./.llmp)')
  .action(async (options: CommonOptions) => {
    const logger = createLogger();
    try {
      const { config, dataDir } = load(options);
      const running = await runStart(config, { dataDir, logger });
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) {
          logger.warn({ signal }, 'second signal: exiting without waiting');
          process.exit(1);
        }
        stopping = true;
        logger.info({ signal }, 'shutting down: draining requests and flushing buffered spans');
        running.stop().then(
          () => {
            logger.info('stopped');
            process.exit(0);
          },
          (error: unknown) => {
            logger.error({ err: error }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
      logger.info('llmp is ready');
    } catch (error) {
      fail(error);
    }
  });

program
  .command('migrate')
  .description('create or upgrade the ClickHouse schema, then exit')
  .option('-c, --config <file>', 'YAML config file (env LLMP_CONFIG)')
  .option('-d, --data-dir <dir>', 'data dir of the embedded store (env LLMP_DATA_DIR, default ./.llmp)')
  .action(async (options: CommonOptions) => {
    const logger = createLogger();
    try {
      const { config, dataDir } = load(options);
      const store = await openStore({ ...config.clickhouse, dataDir });
      try {
        const report = await migrate(store);
        logger.info({ schemaVersion: report.current, applied: report.applied }, 'schema up to date');
      } finally {
        await store.close();
      }
    } catch (error) {
      fail(error);
    }
  });

await program.parseAsync(process.argv);
