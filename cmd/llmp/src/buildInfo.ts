import { readFileSync } from 'node:fs';
import { Gauge, type Registry } from '@llmp/pipeline';

/** What this build of llmp is: its version and the Node it runs on. */
export interface BuildInfo {
  version: string;
  node: string;
}

/**
 * This build's version (cmd/llmp's package.json) and Node; read once.
 * @example buildInfo().version // '0.1.0'
 */
export const buildInfo = (() => {
  let info: BuildInfo | undefined;
  return (): BuildInfo => {
    info ??= {
      version: (
        JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
      ).version,
      node: process.versions.node,
    };
    return info;
  };
})();

/**
 * `llmp_build_info{version,node_version} 1`, the Prometheus convention for telling builds apart
 * across a fleet (a rollout shows as two series).
 * @example registerBuildInfo(registry);
 */
export function registerBuildInfo(registry: Registry): void {
  if (registry.getSingleMetric('llmp_build_info')) return;
  const { version, node } = buildInfo();
  new Gauge({
    name: 'llmp_build_info',
    help: 'The running llmp build: always 1, labelled with the version and the Node version',
    labelNames: ['version', 'node_version'],
    registers: [registry],
  }).set({ version, node_version: node }, 1);
}
