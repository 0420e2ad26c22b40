import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { ConfigError, createLogger, type Logger, loadConfig } from '@llmp/pipeline';
import { Command, Option } from 'commander';
import type { z } from 'zod';
import { buildInfo } from './buildInfo.ts';
import { jobsCommand } from './jobsCommand.ts';
import type { Running } from './runRole.ts';

// Each verb imports its role's code when it runs (await import), not here: a process holds only
// the modules of the role it is. `llmp gateway` loads neither the store, the query API nor the
// loadgen's OpenTelemetry SDK (test/e2e/roleModules.test.ts checks; issue 21, item 1).

interface CommonOptions {
  config?: string;
  dataDir?: string;
  set?: string[];
  /** false with --no-migrate (roles with a store). */
  migrate?: boolean;
}

function sources(options: CommonOptions) {
  const file = options.config ?? process.env.LLMP_CONFIG;
  // --no-migrate is clickhouse.migrate=false, given last so that it wins over the file.
  const set = [...(options.set ?? []), ...(options.migrate === false ? ['clickhouse.migrate=false'] : [])];
  return { file: file || undefined, env: process.env, set };
}

function dataDirOf(options: CommonOptions, config: object): string {
  const fromConfig = 'dataDir' in config ? (config.dataDir as string | undefined) : undefined;
  return resolve(options.dataDir ?? process.env.LLMP_DATA_DIR ?? fromConfig ?? './.llmp');
}

function load<T extends object>(schema: z.ZodType<T>, options: CommonOptions) {
  const config = loadConfig({ schema, ...sources(options) });
  return { config, dataDir: dataDirOf(options, config) };
}

const userFixableKinds = new Set(['store-open', 'schema-behind', 'migration-lock-busy']);

/** Start-up failures the user can fix get one readable line, not a stack trace. */
function fail(error: unknown): never {
  const e = error as NodeJS.ErrnoException & { address?: string; port?: number };
  // By kind (StoreOpenError, SchemaBehindError, MigrationLockError), so that this file need not
  // import the store's code for its error classes.
  const kind = (error as { kind?: unknown } | null)?.kind;
  if (error instanceof ConfigError || (typeof kind === 'string' && userFixableKinds.has(kind))) {
    process.stderr.write(`llmp: ${(error as Error).message}\n`);
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

/** Runs a role until SIGINT/SIGTERM, then stops it (intake first, buffered data flushed). */
async function serveUntilSignal(role: string, start: (logger: Logger) => Promise<Running>): Promise<void> {
  const logger = createLogger();
  let running: Running;
  try {
    running = await start(logger);
  } catch (error) {
    fail(error);
  }
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
  logger.info({ role }, 'llmp is ready');
}

const program = new Command('llmp')
  .description('OTLP trace ingestion pipeline for LLM applications')
  .version(buildInfo().version, '-v, --version');
const withCommon = (command: Command) =>
  command
    .option('-c, --config <file>', 'YAML config file (env LLMP_CONFIG)')
    .option(
      '--set <key=value>',
      'override one setting, e.g. --set receivers.otlp.http.endpoint=127.0.0.1:5318 (repeatable; the value is YAML)',
      (item: string, previous: string[] = []) => [...previous, item],
    )
    .option('-d, --data-dir <dir>', 'data dir of the embedded store (env LLMP_DATA_DIR, default ./.llmp)');

/** Roles with a store migrate it at start unless told not to (then `llmp migrate` does). */
const withMigrate = (command: Command) =>
  command.option(
    '--no-migrate',
    'do not migrate the ClickHouse schema at start; refuse to start if it is older than needed (run llmp migrate)',
  );

withMigrate(withCommon(program.command('start')))
  .description('everything in one process: OTLP receiver (4317/4318), embedded store, query API (8080)')
  .action((options: CommonOptions) =>
    serveUntilSignal('all-in-one', async (logger) => {
      const { loadStartConfig } = await import('./loadStartConfig.ts');
      const { runStart } = await import('./runStart.ts');
      const { config, localOnly } = loadStartConfig(sources(options));
      if (localOnly) {
        const listeners = [
          config.receivers.otlp.grpc.endpoint,
          config.receivers.otlp.http.endpoint,
          config.query.endpoint,
        ];
        const open = listeners.filter((endpoint) => !/^(127\.|\[::1\]|localhost:)/.test(endpoint));
        if (open.length === 0) {
          logger.info(
            { listen: '127.0.0.1', auth: 'off' },
            'auth is off, so llmp listens on 127.0.0.1 only; to accept other hosts add API keys ' +
              '(llmp api-key, LLMP_API_KEYS) and set the endpoints, e.g. --set query.endpoint=0.0.0.0:8080 ' +
              '--set receivers.otlp.grpc.endpoint=0.0.0.0:4317 --set receivers.otlp.http.endpoint=0.0.0.0:4318',
          );
        } else {
          logger.warn(
            { open, auth: 'off' },
            'auth is off and these endpoints accept other hosts: anyone who reaches them can write and read ' +
              'every trace; add API keys (llmp api-key, LLMP_API_KEYS) or bind 127.0.0.1',
          );
        }
      }
      return runStart(config, { dataDir: dataDirOf(options, config), logger });
    }),
  );

withCommon(program.command('gateway'))
  .description('OTLP receiver (4317/4318) that writes every trace to the Kafka topic otlp_spans')
  .action((options: CommonOptions) =>
    serveUntilSignal('gateway', async (logger) => {
      const { gatewayConfig } = await import('./roleConfigs.ts');
      const { runGateway } = await import('./runGateway.ts');
      const { config } = load(gatewayConfig, options);
      return runGateway(config, { logger });
    }),
  );

withMigrate(withCommon(program.command('ingester')))
  .description('consumes otlp_spans into ClickHouse (a server with CLICKHOUSE_URL, else embedded)')
  .option('--with-api', 'also serve the query API (needed with the embedded store, which one process owns)')
  .action((options: CommonOptions & { withApi?: boolean }) =>
    serveUntilSignal('ingester', async (logger) => {
      const { ingesterConfig } = await import('./roleConfigs.ts');
      const { runIngester } = await import('./runIngester.ts');
      const { config, dataDir } = load(ingesterConfig, options);
      const exitAfter = Number(process.env.LLMP_FAULT_EXIT_AFTER_INSERTS ?? Number.NaN);
      return runIngester(config, {
        logger,
        dataDir,
        withApi: options.withApi === true,
        exitAfterInserts: Number.isInteger(exitAfter) && exitAfter > 0 ? exitAfter : undefined,
      });
    }),
  );

withMigrate(withCommon(program.command('mlflow-exporter')))
  .description('consumes otlp_spans (group llmp-mlflow) into an MLflow tracking server (exporters.mlflow)')
  .action((options: CommonOptions) =>
    serveUntilSignal('mlflow-exporter', async (logger) => {
      const { mlflowExporterRoleConfig } = await import('./roleConfigs.ts');
      const { runMlflowExporter } = await import('./runMlflowExporter.ts');
      const { config } = load(mlflowExporterRoleConfig, options);
      return runMlflowExporter(config, { logger });
    }),
  );

withMigrate(withCommon(program.command('query')))
  .description('the query API (8080) over ClickHouse')
  .action((options: CommonOptions) =>
    serveUntilSignal('query', async (logger) => {
      const { queryConfig } = await import('./roleConfigs.ts');
      const { runQuery } = await import('./runQuery.ts');
      const { config, dataDir } = load(queryConfig, options);
      return runQuery(config, { logger, dataDir });
    }),
  );

program
  .command('loadgen')
  .description('send realistic LLM traces to an OTLP receiver and report acknowledged spans and latency')
  .addOption(
    new Option('-p, --protocol <protocol>', 'OTLP transport')
      .choices(['grpc', 'http/protobuf', 'http/json'])
      .default('grpc'),
  )
  .option('-e, --endpoint <url>', 'receiver (default http://127.0.0.1:4317 for grpc, :4318 for http)')
  .option('-r, --rate <spansPerSecond>', 'spans per second to offer; 0 = as fast as acknowledged', '0')
  .option('-c, --concurrency <n>', 'requests in flight', '8')
  .option('-d, --duration <seconds>', 'how long to send', '10')
  .option('-t, --traces-per-request <n>', 'traces in each export request', '5')
  .option('--job <id>', 'tag every span with llmp.job.id')
  .option('--api-key <key>', 'API key, sent as Authorization: Bearer (env LLMP_API_KEY)')
  .option('--json', 'print the report as JSON')
  .action(async (options: Record<string, string | boolean | undefined>) => {
    try {
      const { runLoadgen } = await import('./runLoadgen.ts');
      await runLoadgen(options);
    } catch (error) {
      fail(error);
    }
  });

withCommon(program.command('migrate'))
  .description('create or upgrade the ClickHouse schema, then exit')
  .action(async (options: CommonOptions) => {
    const logger = createLogger();
    try {
      const { migrateConfig } = await import('./roleConfigs.ts');
      const { migrate, openStore } = await import('@llmp/clickhouse');
      // Any role's config file will do: migrate reads only the store and data dir sections.
      const { config, dataDir } = load(migrateConfig, options);
      const store = await openStore({ ...config.clickhouse, dataDir });
      try {
        const report = await migrate(store, undefined, { retention: config.clickhouse.retention });
        logger.info({ schemaVersion: report.current, applied: report.applied }, 'schema up to date');
      } finally {
        await store.close();
      }
    } catch (error) {
      fail(error);
    }
  });

program
  .command('api-key')
  .description('make a new API key: prints the key (give it to the client) and its config line (hashed)')
  .requiredOption('-p, --project <project>', 'the project the key sends to and reads from')
  .option('-r, --role <role>', 'ingest, read or admin', 'ingest')
  .action(async (options: { project: string; role: string }) => {
    if (!['ingest', 'read', 'admin'].includes(options.role))
      fail(new ConfigError('--role is ingest, read or admin'));
    const { apiKeyLine } = await import('@llmp/auth');
    const key = `llmp_${randomBytes(24).toString('base64url')}`;
    const line = apiKeyLine(key, options.project, options.role as 'ingest' | 'read' | 'admin');
    process.stdout.write(`key:  ${key}\nline: ${line}\n`);
  });
jobsCommand(program);

await program.parseAsync(process.argv);
