import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { otelcolCache } from './telemetrygen.ts';

/** The collector builder and the components of issue 21's comparison. */
const builderVersion = 'v0.165.0';
const manifest = `dist:
  name: otelcol-llmp-bench
  description: OpenTelemetry Collector for llmp's side-by-side benchmark
  output_path: ./dist
receivers:
  - gomod: go.opentelemetry.io/collector/receiver/otlpreceiver v0.165.0
processors:
  - gomod: go.opentelemetry.io/collector/processor/batchprocessor v0.165.0
exporters:
  - gomod: github.com/open-telemetry/opentelemetry-collector-contrib/exporter/kafkaexporter v0.165.1
`;

/**
 * The OpenTelemetry Collector (otlp receiver, batch processor, contrib kafka exporter) built with
 * the collector builder from the Go module proxy into ~/.cache/llmp/otelcol on first use (minutes).
 * @example const otelcol = otelcolBinary();
 */
export function otelcolBinary(): string {
  const bin = join(otelcolCache, 'dist', 'otelcol-llmp-bench');
  if (existsSync(bin)) return bin;
  mkdirSync(join(otelcolCache, 'bin'), { recursive: true });
  const env = { ...process.env, GOBIN: join(otelcolCache, 'bin') };
  const builder = join(otelcolCache, 'bin', 'builder');
  if (!existsSync(builder)) {
    execFileSync('go', ['install', `go.opentelemetry.io/collector/cmd/builder@${builderVersion}`], {
      env,
      stdio: 'inherit',
    });
  }
  writeFileSync(join(otelcolCache, 'builder.yaml'), manifest);
  execFileSync(builder, ['--config', 'builder.yaml'], { cwd: otelcolCache, env, stdio: 'inherit' });
  return bin;
}
