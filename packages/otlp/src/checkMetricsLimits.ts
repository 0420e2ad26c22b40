import { checkAttributes } from './decodeLogs.ts';
import type { Exemplar, MetricsRequest } from './metricsModel.ts';
import { OtlpDecodeError } from './otlpDecodeError.ts';
import { decodedBytesEstimate, type ValueLimits } from './valueLimits.ts';

function overLimit(path: string, message: string): never {
  throw new OtlpDecodeError(`OTLP request refused: ${path}: ${message}`, { kind: 'limit' });
}

/** An array of a data point (buckets, bounds, quantiles, exemplars): maxValueElements wide at most. */
function checkArray(length: number, bounds: ValueLimits, path: string): number {
  if (length > bounds.maxValueElements)
    overLimit(path, `more than ${bounds.maxValueElements} elements (maxValueElements)`);
  return length;
}

function checkExemplars(exemplars: Exemplar[], bounds: ValueLimits, path: string): number {
  let messages = checkArray(exemplars.length, bounds, path);
  exemplars.forEach((e, i) => {
    messages += checkAttributes(e.filteredAttributes, bounds, `${path}[${i}].filteredAttributes`);
  });
  return messages;
}

/**
 * Checks a decoded metrics request against the receiver's value bounds (the same ones as spans
 * and log records; bucket, bound, quantile and exemplar lists count as arrays, maxValueElements)
 * and returns its estimated decoded size.
 * @throws OtlpDecodeError of kind `limit` naming the first bound passed.
 * @example const decodedBytes = checkMetricsLimits(request, wireBytes, defaultValueLimits);
 */
export function checkMetricsLimits(request: MetricsRequest, wireBytes: number, bounds: ValueLimits): number {
  let messages = 0;
  request.resourceMetrics.forEach((rm, r) => {
    messages +=
      1 + checkAttributes(rm.resource.attributes, bounds, `resourceMetrics[${r}].resource.attributes`);
    rm.scopeMetrics.forEach((sm, s) => {
      const at = `resourceMetrics[${r}].scopeMetrics[${s}]`;
      messages += 1 + checkAttributes(sm.scope.attributes, bounds, `${at}.scope.attributes`);
      sm.metrics.forEach((metric, m) => {
        messages += 2;
        const data = metric.data;
        data.dataPoints.forEach((point, p) => {
          const path = `${at}.metrics[${m}].${data.type}.dataPoints[${p}]`;
          messages += 1 + checkAttributes(point.attributes, bounds, `${path}.attributes`);
          if ('exemplars' in point) messages += checkExemplars(point.exemplars, bounds, `${path}.exemplars`);
          if ('bucketCounts' in point) {
            messages += checkArray(point.bucketCounts.length, bounds, `${path}.bucketCounts`);
            messages += checkArray(point.explicitBounds.length, bounds, `${path}.explicitBounds`);
          }
          if ('positive' in point) {
            messages += checkArray(
              point.positive.bucketCounts.length,
              bounds,
              `${path}.positive.bucketCounts`,
            );
            messages += checkArray(
              point.negative.bucketCounts.length,
              bounds,
              `${path}.negative.bucketCounts`,
            );
          }
          if ('quantileValues' in point)
            messages += checkArray(point.quantileValues.length, bounds, `${path}.quantileValues`);
        });
      });
    });
  });
  const decodedBytes = decodedBytesEstimate(wireBytes, messages);
  if (decodedBytes > bounds.maxDecodedBytes)
    overLimit('(body)', `decodes to about ${Math.ceil(decodedBytes / 1024 ** 2)} MiB (maxDecodedBytes)`);
  return decodedBytes;
}
