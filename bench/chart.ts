import { readFile, writeFile } from 'node:fs/promises';
import * as vega from 'vega';
import * as vegaLite from 'vega-lite';
import type { BenchResults } from './run.js';

interface Point {
  series: string;
  approach: 'indexed' | 'naive';
  history: number;
  p50Ms: number;
}

/** The catch-up rows of a run as chart points: each driver's store and the naive approach on it. */
export function catchUpPoints(results: Pick<BenchResults, 'rows'>): Point[] {
  const points: Point[] = [];
  for (const row of results.rows) {
    const match = /^catchUp\.(naive\.)?\d+$/.exec(row.id);
    if (!match || row.ours?.kind !== 'latency') continue;
    const naive = match[1] !== undefined;
    points.push({
      series: naive ? `${row.driver}, naive` : `${row.driver} driver`,
      approach: naive ? 'naive' : 'indexed',
      history: row.extra['history']!,
      p50Ms: row.ours.p50Ms,
    });
  }
  return points;
}

/** Renders catch-up latency against history length (log-log) as SVG with Vega-Lite, headless. */
export async function renderCatchUpChart(resultsFile: string, svgFile: string): Promise<void> {
  const results = JSON.parse(await readFile(resultsFile, 'utf8')) as BenchResults;
  const points = catchUpPoints(results);
  if (points.length === 0) throw new Error(`${resultsFile} holds no catch-up results`);
  const histories = [...new Set(points.map((point) => point.history))].sort((a, b) => a - b);
  const spec: vegaLite.TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `Catch-up of 10 new deltas against history length (p50, ${results.mode} run)`,
      subtitle: [
        'naive: read the whole history through getDeltasSince(doc, null), keep what the clock has not seen',
        `${results.machine.cpus} × ${results.machine.cpuModel}, node ${results.machine.node}, ${results.startedAt.slice(0, 10)}`,
      ],
    },
    width: 560,
    height: 320,
    background: 'white',
    data: { values: points },
    mark: { type: 'line', point: true },
    encoding: {
      x: {
        field: 'history',
        type: 'quantitative',
        scale: { type: 'log' },
        axis: { values: histories, format: ',d', title: 'deltas already in the document (log scale)' },
      },
      y: {
        field: 'p50Ms',
        type: 'quantitative',
        scale: { type: 'log' },
        axis: { title: 'p50 latency, ms (log scale)' },
      },
      color: { field: 'series', type: 'nominal', legend: { title: null, orient: 'right' } },
      strokeDash: { field: 'approach', type: 'nominal', legend: null },
    },
  };
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  try {
    await writeFile(svgFile, `${await view.toSVG()}\n`);
  } finally {
    view.finalize();
  }
}
