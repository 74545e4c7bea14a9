import { costMs, type Measurement } from './measure.js';

export type Driver = 'memory' | 'postgres';

/** A budget from issue 4, checked as a ratio inside one run. */
export interface BudgetCheck {
  rule: string;
  observed: string;
  pass: boolean;
}

export interface ResultRow {
  /** Stable key, e.g. `addDelta.sequential` or `catchUp.naive.100000`; budgets and the chart look rows up by it. */
  id: string;
  driver: Driver;
  scenario: string;
  detail: string;
  /** null when the driver could not run (only its floor was measured). */
  ours: Measurement | null;
  floor: Measurement | null;
  floorLabel: string | null;
  /**
   * Our time per operation divided by the floor's: medians of the rounds for rates, p50 for latencies
   * (1.0: as fast as the floor).
   */
  vsFloor: number | null;
  budget: BudgetCheck | null;
  note: string | null;
  /** Numbers the chart or the budgets need (history length, JSON bytes held, ...). */
  extra: Record<string, number>;
}

export type NewRow = Omit<ResultRow, 'vsFloor' | 'budget' | 'note' | 'extra' | 'floorLabel' | 'floor'> &
  Partial<Pick<ResultRow, 'vsFloor' | 'note' | 'extra' | 'floorLabel' | 'floor'>>;

/** Fills the optional fields; `vsFloor` defaults to the ratio of the two costs. */
export function completeRow(row: NewRow): ResultRow {
  const floor = row.floor ?? null;
  const vsFloor = row.vsFloor !== undefined ? row.vsFloor : row.ours && floor ? costMs(row.ours) / costMs(floor) : null;
  return { floorLabel: null, note: null, extra: {}, ...row, floor, vsFloor, budget: null };
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** Three significant digits, thousands separated: 1,234,000 / 12.3 / 0.0123. */
export function formatNumber(value: number): string {
  if (value >= 1000) return integer.format(Number(value.toPrecision(3)));
  return Number(value.toPrecision(3)).toString();
}

export function formatMeasurement(measurement: Measurement | null): string {
  if (!measurement) return '—';
  switch (measurement.kind) {
    case 'throughput':
      return `${formatNumber(measurement.opsPerSecond)} ops/s`;
    case 'latency':
      return `p50 ${formatNumber(measurement.p50Ms)} ms · p99 ${formatNumber(measurement.p99Ms)} ms`;
    case 'heap':
      return `${formatNumber(measurement.bytesPerItem)} B/delta`;
  }
}

export function formatRatio(ratio: number | null): string {
  return ratio === null ? '—' : `${formatNumber(ratio)}×`;
}

/** One progress line for stderr. */
export function progressLine(row: ResultRow, seconds: number): string {
  const floor = row.floor ? ` · floor ${formatMeasurement(row.floor)} · ${formatRatio(row.vsFloor)} floor` : '';
  const skipped = row.ours ? '' : ' (driver skipped)';
  return `[${row.driver}] ${row.scenario}, ${row.detail}: ${formatMeasurement(row.ours)}${floor}${skipped} (${seconds.toFixed(1)} s)`;
}

/** The results as a Markdown table (it reads well in a terminal and pastes into docs/BENCHMARKS.md). */
export function markdownTable(rows: readonly ResultRow[]): string {
  const header = ['driver', 'scenario', 'ours', 'floor', 'ours ÷ floor (time)', 'budget', 'result'];
  const lines = [header, header.map(() => '---')];
  for (const row of rows) {
    const floor = row.floor ? `${formatMeasurement(row.floor)} (${row.floorLabel})` : (row.floorLabel ?? '—');
    const budget = [row.budget ? `${row.budget.rule}: ${row.budget.observed}` : null, row.note]
      .filter(Boolean)
      .join('; ');
    const result = row.budget ? (row.budget.pass ? 'PASS' : 'MISS') : row.ours ? '' : 'skipped';
    lines.push([
      row.driver,
      `${row.scenario} — ${row.detail}`,
      formatMeasurement(row.ours),
      floor,
      formatRatio(row.vsFloor),
      budget,
      result,
    ]);
  }
  return lines.map((cells) => `| ${cells.map((cell) => cell.replaceAll('|', '\\|')).join(' | ')} |`).join('\n');
}
