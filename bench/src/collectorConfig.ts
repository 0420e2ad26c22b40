/** How the Collector of the side-by-side comparison is wired. */
export interface CollectorPipeline {
  /**
   * `sync`: otlp → kafka with no batch processor and no sending queue, so a request is answered
   * once Kafka acknowledged it, as llmp gateway answers. `batch`: otlp → batch → kafka with the
   * exporter's default queue, answered before Kafka (the issue's first measurement).
   */
  mode: 'sync' | 'batch';
  /** The producer's linger (franz-go; the exporter's default is 10ms). */
  linger: string;
}

/**
 * The Collector's config: otlp (gRPC) → [batch] → kafka, acks=all, OTLP protobuf records keyed
 * and split by trace id (`partition_traces_by_id`), the records llmp gateway writes.
 * @example writeFileSync(file, collectorConfig({ port, metricsPort, brokers, topic, pipeline }));
 */
export function collectorConfig({
  port,
  metricsPort,
  brokers,
  topic,
  pipeline,
}: {
  port: number;
  metricsPort: number;
  brokers: string[];
  topic: string;
  pipeline: CollectorPipeline;
}): string {
  const sync = pipeline.mode === 'sync';
  return `receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:${port}
        max_recv_msg_size_mib: 20
processors:
  batch: {}
exporters:
  kafka:
    brokers: [${brokers.map((b) => `"${b}"`).join(', ')}]
    traces:
      topic: ${topic}
      encoding: otlp_proto
    partition_traces_by_id: true
    producer:
      required_acks: -1
      linger: ${pipeline.linger}
${sync ? '    sending_queue:\n      enabled: false\n' : ''}service:
  telemetry:
    logs:
      level: warn
    metrics:
      level: basic
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: ${metricsPort}
  pipelines:
    traces:
      receivers: [otlp]
      processors: [${sync ? '' : 'batch'}]
      exporters: [kafka]
`;
}
