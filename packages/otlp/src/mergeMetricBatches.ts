import type { BatchMeta } from './batchMeta.ts';
import type { MetricBatch } from './metricBatch.ts';

/**
 * Joins metrics batches into one per project (their resourceMetrics one after the other), for
 * one INSERT per table and project where a Kafka batch holds many records. With a deduplication
 * token, each project's batch gets it suffixed with the project: two projects' rows in one table
 * must not share a token, or the second INSERT would be dropped as a repeat of the first.
 * @example for (const batch of mergeMetricBatches(decoded, { dedupToken: `${topic}:${partition}:${from}-${to}` })) await next.consume(batch);
 */
export function mergeMetricBatches(parts: readonly MetricBatch[], meta: BatchMeta = {}): MetricBatch[] {
  const byProject = new Map<string, MetricBatch>();
  for (const part of parts) {
    const joined = byProject.get(part.projectId);
    if (joined) {
      joined.request.resourceMetrics.push(...part.request.resourceMetrics);
      joined.dataPointCount += part.dataPointCount;
    } else {
      byProject.set(part.projectId, {
        projectId: part.projectId,
        request: { resourceMetrics: [...part.request.resourceMetrics] },
        dataPointCount: part.dataPointCount,
        ...(meta.dedupToken === undefined
          ? {}
          : { meta: { dedupToken: `${meta.dedupToken}:${part.projectId}` } }),
      });
    }
  }
  return [...byProject.values()];
}
