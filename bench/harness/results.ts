import * as os from 'node:os';
import { costMs, type Measurement } from './measure.js';

export type Driver = 'memory' | 'postgres';

/** A budget, checked as a ratio of two figures of one run; a miss is reported, never an error. */
export type BudgetCheck = { rule: string; observed: number; pass: boolean };

export interface ResultRow {
  /** Stable key, e.g. `addDelta.sequential` or `authors.catchUp.1000`: budgets and charts find rows by it. */
  id: string;
  driver: Driver;
  scenario: string;
  detail: string;
  ours: Measurement;
  floor: Measurement | null;
  floorLabel: string | null;
  /** Our cost divided by the floor's: median rounds for rates, p50 for latencies (1: as fast as the floor). */
  vsFloor: number | null;
  budget: BudgetCheck | null;
  /** Numbers a budget or chart needs (history length, authors, ...). */
  extra: Record<string, number>;
  /** The 1-minute load average when the figure was taken: the machine is shared. */
  load: number;
}

export type NewRow = Pick<ResultRow, 'id' | 'scenario' | 'detail' | 'ours'> &
  Partial<Pick<ResultRow, 'floor' | 'floorLabel' | 'extra'>>;

export function completeRow(driver: Driver, row: NewRow): ResultRow {
  const floor = row.floor ?? null;
  // A ratio of a negative or zero cost (a delivery heard before its write returned) means nothing.
  const [ours, base] = [costMs(row.ours), floor && costMs(floor)];
  return {
    floorLabel: null,
    extra: {},
    ...row,
    driver,
    floor,
    vsFloor: base && base > 0 && ours > 0 ? ours / base : null,
    budget: null,
    load: os.loadavg()[0]!,
  };
}

/** What the run ran on, and how busy the machine was (the 1, 5 and 15-minute load averages). */
export function describeMachine() {
  const [cpus, round] = [os.cpus(), (value: number) => Math.round(value * 100) / 100];
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryGiB: round(os.totalmem() / 1024 ** 3),
    node: process.version,
    os: `${os.platform()} ${os.release()}`,
    loadAverage: os.loadavg().map(round),
  };
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** Three significant digits, thousands separated: 1,234,000 / 12.3 / 0.0123. */
export function formatNumber(value: number): string {
  if (Math.abs(value) >= 1000) return integer.format(Number(value.toPrecision(3)));
  return Number(value.toPrecision(3)).toString();
}

export function formatMeasurement(measurement: Measurement): string {
  if (measurement.kind === 'throughput') return `${formatNumber(measurement.opsPerSecond)} ops/s`;
  if ('bytesPerItem' in measurement) return `${formatNumber(measurement.bytesPerItem)} B/item`;
  return `p50 ${formatNumber(measurement.p50Ms)} ms · p99 ${formatNumber(measurement.p99Ms)} ms`;
}

const ratio = (value: number | null): string => (value === null ? '—' : `${formatNumber(value)}×`);

export function progressLine(row: ResultRow, seconds: number): string {
  const floor = row.floor ? ` · floor ${formatMeasurement(row.floor)} · ${ratio(row.vsFloor)} floor` : '';
  return `[${row.driver}] ${row.scenario}, ${row.detail}: ${formatMeasurement(row.ours)}${floor} (load ${row.load.toFixed(1)}, ${seconds.toFixed(1)} s)`;
}

/** The results as Markdown: it reads well in a terminal and pastes into docs/BENCHMARKS.md. */
export function markdownTable(rows: readonly ResultRow[]): string {
  const header = ['driver', 'scenario', 'ours', 'floor', 'ours ÷ floor', 'budget', 'result', 'load'];
  const lines = [header, header.map(() => '---')];
  for (const row of rows) {
    const floor = row.floor ? `${formatMeasurement(row.floor)} (${row.floorLabel})` : (row.floorLabel ?? '—');
    const budget = row.budget ? `${row.budget.rule}: ${formatNumber(row.budget.observed)}` : '';
    const result = row.budget ? (row.budget.pass ? 'PASS' : 'MISS') : '';
    const cells = [row.driver, `${row.scenario} — ${row.detail}`, formatMeasurement(row.ours), floor];
    lines.push([...cells, ratio(row.vsFloor), budget, result, row.load.toFixed(1)]);
  }
  return lines.map((cells) => `| ${cells.map((cell) => cell.replaceAll('|', '\\|')).join(' | ')} |`).join('\n');
}
