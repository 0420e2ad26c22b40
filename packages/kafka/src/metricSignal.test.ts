import { decodeProtobufMetricsRequest, jsonMetricsToProtobuf, metricsProtoTypes } from '@llmp/otlp';
import { createLogger, ExportError } from '@llmp/pipeline';
import { describe, expect, it } from 'vitest';
import { kafkaExporter, kafkaExporterConfig, projectHeader } from './kafkaExporter.ts';
import { kafkaSignals } from './kafkaSignals.ts';
import { MemoryKafka } from './memoryKafka.ts';
import { metricKafkaRecords } from './metricKafkaRecords.ts';
import { metricSignal } from './metricSignal.ts';

/** An OTLP/JSON request: per service, an int sum past 2^53 and a metric with metadata. */
const json = (services: string[]) => ({
  resourceMetrics: services.map((service) => ({
    resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
    scope_metrics: [
      {
        scope: { name: 'test' },
        metrics: [
          {
            name: 'tokens',
            metadata: [{ key: 'origin', value: { stringValue: service } }],
            sum: {
              aggregationTemporality: 2,
              isMonotonic: true,
              dataPoints: [
                {
                  asInt: '9007199254740993',
                  timeUnixNano: '1767225600000000000',
                  exemplars: [
                    {
                      asDouble: 1.5,
                      timeUnixNano: '1767225600000000000',
                      traceId: '0af7651916cd43dd8448eb211c80319c',
                      spanId: 'b7ad6b7169203331',
                    },
                  ],
                },
              ],
            },
          },
        ],
      },
    ],
  })),
});

const batchOf = (wire: Uint8Array) => {
  const request = decodeProtobufMetricsRequest(wire);
  return { projectId: 'p1', request, dataPointCount: 1, received: () => wire };
};

/** The protobuf value as protobufjs reads it (camelCase names, int64 as strings, ids base64). */
const plain = (bytes: Uint8Array) => {
  const { request } = metricsProtoTypes();
  return request.toObject(request.decode(bytes), { longs: String, bytes: String }) as {
    resourceMetrics: Array<{ scopeMetrics: Array<{ metrics: unknown[] }> }>;
  };
};

describe('metrics on Kafka (otlp_metrics)', () => {
  it('converts OTLP/JSON to protobuf keeping as_int exactly, metadata and exemplar ids', () => {
    const wire = jsonMetricsToProtobuf(JSON.stringify(json(['a'])));
    const metric = plain(wire).resourceMetrics[0]!.scopeMetrics[0]!.metrics[0];
    expect(metric).toMatchObject({
      metadata: [{ key: 'origin', value: { stringValue: 'a' } }],
      sum: {
        dataPoints: [
          {
            asInt: '9007199254740993',
            exemplars: [
              {
                traceId: Buffer.from('0af7651916cd43dd8448eb211c80319c', 'hex').toString('base64'),
                spanId: Buffer.from('b7ad6b7169203331', 'hex').toString('base64'),
              },
            ],
          },
        ],
      },
    });
  });

  it('writes one record per service, each the received ResourceMetrics bytes', () => {
    const wire = jsonMetricsToProtobuf(JSON.stringify(json(['a', 'b', 'a'])));
    const records = metricSignal.records(batchOf(wire), 1_000_000);
    expect(records.map((r) => r.key)).toEqual(['a', 'b']);
    // Records of a key hold its resources only; together they are the request's bytes.
    expect(decodeProtobufMetricsRequest(records[0]!.value).resourceMetrics).toHaveLength(2);
    expect(records.reduce((n, r) => n + r.value.byteLength, 0)).toBe(wire.byteLength);
    const decoded = metricSignal.decode(records[1]!.value, 'p1');
    expect('batch' in decoded && decoded.count).toBe(1);
  });

  it('splits a service over several records past maxRecordBytes, and refuses a one-point metric over it', () => {
    const wire = jsonMetricsToProtobuf(JSON.stringify(json(['a', 'a', 'a'])));
    const one = metricKafkaRecords(wire, decodeProtobufMetricsRequest(wire), wire.byteLength)[0]!;
    const third = Math.ceil(wire.byteLength / 3);
    const split = metricKafkaRecords(wire, decodeProtobufMetricsRequest(wire), third + 1);
    expect(one.value.byteLength).toBe(wire.byteLength);
    expect(split.map((r) => r.key)).toEqual(['a', 'a', 'a']);
    expect(() => metricSignal.records(batchOf(wire), third - 10)).toThrow(ExportError);
    try {
      metricSignal.records(batchOf(wire), third - 10);
    } catch (error) {
      expect((error as ExportError).kind).toBe('permanent');
    }
  });

  it('cuts one resource too big for a record between its metrics, each part with its resource and scope', () => {
    const big = json(['a']);
    const metrics = big.resourceMetrics[0]!.scope_metrics[0]!.metrics;
    for (let i = 0; i < 40; i++) metrics.push({ ...metrics[0]!, name: `tokens.${i}` });
    big.resourceMetrics.push(...json(['b']).resourceMetrics);
    const wire = jsonMetricsToProtobuf(JSON.stringify(big));
    const records = metricSignal.records(batchOf(wire), 1000);
    expect(records.length).toBeGreaterThan(2);
    expect(records.every((r) => r.value.byteLength <= 1000)).toBe(true);
    const names = (key: string) =>
      records
        .filter((r) => r.key === key)
        .flatMap((r) =>
          decodeProtobufMetricsRequest(r.value).resourceMetrics.flatMap((rm) => {
            expect(rm.resource.attributes).toEqual([
              { key: 'service.name', value: { type: 'string', value: key } },
            ]);
            return rm.scopeMetrics.flatMap((sm) => {
              expect(sm.scope.name).toBe('test');
              return sm.metrics.map((m) => m.name);
            });
          }),
        );
    expect(names('a')).toEqual(['tokens', ...Array.from({ length: 40 }, (_, i) => `tokens.${i}`)]);
    expect(names('b')).toEqual(['tokens']);
  });

  it('cuts one metric too big for a record between its data points, each part a whole request with its metric', () => {
    // A sum of 300 series (one point each) and a histogram of 40: far over 2 000 bytes each.
    const now = '1767225600000000000';
    const request = {
      resourceMetrics: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'wide' } }] },
          scopeMetrics: [
            {
              scope: { name: 'test', version: '1' },
              metrics: [
                {
                  name: 'tokens',
                  description: 'tokens used',
                  unit: '{token}',
                  metadata: [{ key: 'origin', value: { stringValue: 'sdk' } }],
                  sum: {
                    aggregationTemporality: 1,
                    isMonotonic: true,
                    dataPoints: Array.from({ length: 300 }, (_, i) => ({
                      attributes: [{ key: 'series', value: { intValue: String(i) } }],
                      timeUnixNano: now,
                      asInt: String(9007199254740993n + BigInt(i)),
                    })),
                  },
                },
                {
                  name: 'latency',
                  unit: 's',
                  histogram: {
                    aggregationTemporality: 2,
                    dataPoints: Array.from({ length: 40 }, (_, i) => ({
                      attributes: [{ key: 'series', value: { intValue: String(i) } }],
                      timeUnixNano: now,
                      count: '3',
                      sum: i,
                      bucketCounts: ['1', '1', '1'],
                      explicitBounds: [0.5, 1],
                    })),
                  },
                },
              ],
            },
          ],
        },
      ],
    };
    const wire = jsonMetricsToProtobuf(JSON.stringify(request));
    expect(wire.byteLength).toBeGreaterThan(6000);
    // Before: "a metric of key wide encodes to … bytes …, over the record limit" (400).
    const records = metricSignal.records(batchOf(wire), 2000);
    expect(records.length).toBeGreaterThan(3);
    expect(records.every((r) => r.key === 'wide' && r.value.byteLength <= 2000)).toBe(true);
    type Plain = {
      resourceMetrics: Array<{
        resource: unknown;
        scopeMetrics: Array<{
          scope: unknown;
          metrics: Array<{
            name: string;
            description?: string;
            unit: string;
            metadata?: unknown;
            sum?: {
              aggregationTemporality: number;
              isMonotonic: boolean;
              dataPoints: Array<{ asInt: string }>;
            };
            histogram?: { aggregationTemporality: number; dataPoints: Array<{ sum: number }> };
          }>;
        }>;
      }>;
    };
    const sums: string[] = [];
    const histogramSums: number[] = [];
    for (const record of records) {
      const value = plain(record.value) as unknown as Plain;
      for (const rm of value.resourceMetrics) {
        expect(rm.resource).toEqual((plain(wire) as unknown as Plain).resourceMetrics[0]!.resource);
        for (const sm of rm.scopeMetrics) {
          expect(sm.scope).toEqual({ name: 'test', version: '1' });
          for (const m of sm.metrics) {
            if (m.name === 'tokens') {
              expect(m).toMatchObject({
                description: 'tokens used',
                unit: '{token}',
                metadata: [{ key: 'origin', value: { stringValue: 'sdk' } }],
                sum: { aggregationTemporality: 1, isMonotonic: true },
              });
              sums.push(...m.sum!.dataPoints.map((p) => p.asInt));
            } else {
              expect(m).toMatchObject({
                name: 'latency',
                unit: 's',
                histogram: { aggregationTemporality: 2 },
              });
              histogramSums.push(...m.histogram!.dataPoints.map((p) => p.sum));
            }
          }
        }
      }
      // Each record is a request the ingester reads as it is.
      const decoded = metricSignal.decode(record.value, 'p1');
      expect('batch' in decoded && decoded.count).toBeGreaterThan(0);
    }
    // Every point once, in order, int values exact.
    expect(sums).toEqual(Array.from({ length: 300 }, (_, i) => String(9007199254740993n + BigInt(i))));
    expect(histogramSums).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  it('refuses a single data point over maxRecordBytes as permanent, naming the data point', () => {
    const big = json(['a']);
    const point = big.resourceMetrics[0]!.scope_metrics[0]!.metrics[0]!.sum.dataPoints[0]!;
    const wire = jsonMetricsToProtobuf(
      JSON.stringify({
        resourceMetrics: [
          {
            ...big.resourceMetrics[0]!,
            scope_metrics: [
              {
                scope: { name: 'test' },
                metrics: [
                  {
                    name: 'tokens',
                    sum: {
                      aggregationTemporality: 2,
                      isMonotonic: true,
                      dataPoints: [
                        point,
                        { ...point, attributes: [{ key: 'big', value: { stringValue: 'x'.repeat(3000) } }] },
                      ],
                    },
                  },
                ],
              },
            ],
          },
        ],
      }),
    );
    const error = (() => {
      try {
        metricSignal.records(batchOf(wire), 2000);
      } catch (caught) {
        return caught as ExportError;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ExportError);
    expect(error?.kind).toBe('permanent');
    expect(error?.message).toMatch(/^a data point of key a encodes to \d+ bytes/);
    // A metric too big without any point (a huge description) is refused too, never dropped.
    const pointless = jsonMetricsToProtobuf(
      JSON.stringify({
        resourceMetrics: [
          {
            resource: { attributes: [] },
            scopeMetrics: [
              { scope: { name: 'test' }, metrics: [{ name: 'm', description: 'x'.repeat(3000), gauge: {} }] },
            ],
          },
        ],
      }),
    );
    expect(() => metricSignal.records(batchOf(pointless), 2000)).toThrow(ExportError);
  });

  it('refuses bytes that do not match the decoded request as permanent, not retryable', () => {
    const wire = jsonMetricsToProtobuf(JSON.stringify(json(['a'])));
    const batch = { ...batchOf(wire), received: () => wire.subarray(0, wire.byteLength - 3) };
    const error = (() => {
      try {
        metricSignal.records(batch, 1_000_000);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ExportError);
    expect((error as ExportError).kind).toBe('permanent');
  });

  it('refuses a batch without its received bytes as permanent', () => {
    const wire = jsonMetricsToProtobuf(JSON.stringify(json(['a'])));
    const { received: _, ...modelOnly } = batchOf(wire);
    expect(() => metricSignal.records(modelOnly, 1_000_000)).toThrow(/received bytes/);
  });

  it('reads the Collector otlp_json value and merges parts with the range token', () => {
    const value = new TextEncoder().encode(JSON.stringify(json(['a'])));
    const decoded = metricSignal.decode(value, 'p1');
    if (!('batch' in decoded)) throw new Error(decoded.invalid);
    const merged = metricSignal.merge('p1', [decoded.batch, decoded.batch], 'otlp_metrics/0/1-2/p1');
    expect(merged.dataPointCount).toBe(2);
    expect(merged.request.resourceMetrics).toHaveLength(2);
    expect(merged.meta).toEqual({ dedupToken: 'otlp_metrics/0/1-2/p1' });
  });

  it('goes to otlp_metrics through the exporter of every signal, not to otlp_spans', async () => {
    const kafka = new MemoryKafka(3);
    const exporter = kafkaExporter(
      kafka.producer(),
      { id: 'kafka', logger: createLogger({ level: 'silent' }) },
      kafkaExporterConfig.parse({}),
      Object.values(kafkaSignals),
    );
    await exporter.start();
    const wire = jsonMetricsToProtobuf(JSON.stringify(json(['a', 'b'])));
    await exporter.consume(batchOf(wire) as never);
    const written = kafka.records('otlp_metrics');
    expect(written.map((r) => r.key).sort()).toEqual(['a', 'b']);
    expect(written.every((r) => r.headers[projectHeader] === 'p1')).toBe(true);
    expect(kafka.records('otlp_spans')).toEqual([]);
    await exporter.shutdown();
  });
});
