import { writeFile } from 'node:fs/promises';
import * as vega from 'vega';
import * as vegaLite from 'vega-lite';
import type { describeMachine, ResultRow } from './results.js';

/** What a chart is drawn from: the rows of one run and where it ran. */
export type ChartSource = {
  mode: string;
  startedAt: string;
  machine: ReturnType<typeof describeMachine>;
  rows: ResultRow[];
};

/** One chart: p50 latency of the rows whose id matches, against one of their `extra` numbers, log-log. */
export interface ChartSpec {
  file: string;
  title: string;
  /** Matches a row id; the first group, if any, names a series variant (e.g. `naive`). */
  rowId: RegExp;
  series: (row: ResultRow, variant: string | undefined) => string;
  x: { extra: string; title: string };
}

/** Renders the chart as SVG with Vega-Lite, headless (Vega's View with no renderer). */
export async function renderChart(source: ChartSource, chart: ChartSpec): Promise<void> {
  const points = source.rows.flatMap((row) => {
    const match = chart.rowId.exec(row.id);
    if (!match || row.ours.kind !== 'latency') return [];
    return [{ series: chart.series(row, match[1]), x: row.extra[chart.x.extra]!, p50Ms: row.ours.p50Ms }];
  });
  if (points.length === 0) throw new Error(`the results hold no rows for ${chart.file}`);
  const { machine } = source;
  const spec: vegaLite.TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `${chart.title} (p50, ${source.mode} run)`,
      subtitle: `${machine.cpus} × ${machine.cpuModel}, node ${machine.node}, load ${machine.loadAverage[0]}, ${source.startedAt.slice(0, 10)}`,
    },
    ...{ width: 560, height: 320, background: 'white', data: { values: points } },
    mark: { type: 'line', point: true },
    encoding: {
      x: {
        field: 'x',
        type: 'quantitative',
        scale: { type: 'log' },
        axis: { values: [...new Set(points.map((point) => point.x))], format: ',d', title: chart.x.title },
      },
      y: { field: 'p50Ms', type: 'quantitative', scale: { type: 'log' }, axis: { title: 'p50, ms (log scale)' } },
      color: { field: 'series', type: 'nominal', legend: { title: null, orient: 'right', labelLimit: 0 } },
    },
  };
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  await writeFile(chart.file, `${await view.toSVG()}\n`).finally(() => view.finalize());
}
