/** Chart windows back from now, with the `/v1/metrics` step that makes 24-60 buckets of each. */
export const chartWindows: Record<string, { seconds: number; step: string; stepSeconds: number }> = {
  '1h': { seconds: 3600, step: '1m', stepSeconds: 60 },
  '24h': { seconds: 86_400, step: '1h', stepSeconds: 3600 },
  '7d': { seconds: 604_800, step: '6h', stepSeconds: 21_600 },
  '30d': { seconds: 2_592_000, step: '1d', stepSeconds: 86_400 },
};
