import { useEffect, useRef } from 'preact/hooks';

// Loaded with the first chart: pages without charts (traces) do not carry uPlot's 22 kB.
const chartLibrary = () =>
  Promise.all([import('uplot'), import('uplot/dist/uPlot.min.css')]).then(([m]) => m.default);

export interface ChartSeries {
  label: string;
  values: Array<number | null>;
  color: string;
}

/**
 * A time-series line chart drawn by uPlot (22 kB gzip, against Chart.js's 71 kB): `times` in
 * Unix seconds, one value per time for each series.
 * @example <TimeChart title="Cost (USD)" times={[1767225600]} series={[{ label: 'cost', values: [0.2], color: '#36c' }]} />
 */
export function TimeChart({
  title,
  times,
  series,
}: {
  title: string;
  times: number[];
  series: ChartSeries[];
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    let chart: { destroy(): void } | undefined;
    let gone = false;
    void chartLibrary().then((uPlot) => {
      if (gone) return;
      chart = new uPlot(
        {
          title,
          width: Math.max(element.clientWidth, 280),
          height: 180,
          // Points drawn too: a bucket alone between empty ones (a rate, a latency) is no line.
          series: [
            {},
            ...series.map((s) => ({
              label: s.label,
              stroke: s.color,
              width: 1.5,
              points: { show: true, size: 4, fill: s.color },
            })),
          ],
          axes: [{}, { size: 60 }],
        },
        [times, ...series.map((s) => s.values)],
        element,
      );
    });
    return () => {
      gone = true;
      chart?.destroy();
    };
  }, [title, times, series]);
  return <div class="chart" ref={box} />;
}
