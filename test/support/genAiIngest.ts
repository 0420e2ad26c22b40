import { type ClickHouseStore, clickhouseExporter, clickhouseExporterConfig } from '@llmp/clickhouse';
import { genAiProcessorConfig, genAiProcessorFactory } from '@llmp/genai';
import type { TraceBatch } from '@llmp/otlp';
import type { Consumer } from '@llmp/pipeline';
import { pino } from 'pino';

/**
 * The ingester's wiring for a store: genai processor → ClickHouse exporter into `spans`.
 * @example await genAiIngest(store).consume(traceBatch({ projectId: 'p1', request }));
 */
export function genAiIngest(store: ClickHouseStore): Consumer<TraceBatch> {
  const logger = pino({ level: 'silent' });
  const exporter = clickhouseExporter(
    store,
    { id: 'clickhouse', logger },
    clickhouseExporterConfig.parse({ fsync: false }),
  );
  return genAiProcessorFactory.create({ id: 'genai', logger }, genAiProcessorConfig.parse({}), exporter);
}
