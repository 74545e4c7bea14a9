import type { BenchSizes } from './bench-options.js';
import { costMs } from './harness/measure.js';
import { formatNumber, type BudgetCheck, type Driver, type ResultRow } from './harness/results.js';

/**
 * The budgets of issue 4, each a ratio between two figures of the same run (the machine is shared,
 * so absolute times are never compared). A miss is reported, never an error.
 */
export function applyBudgets(rows: ResultRow[], sizes: BenchSizes): void {
  const find = (driver: Driver, id: string): ResultRow | undefined =>
    rows.find((row) => row.driver === driver && row.id === id);
  const check = (row: ResultRow | undefined, budget: (row: ResultRow) => BudgetCheck | null): void => {
    if (row?.ours) row.budget = budget(row);
  };
  const shortest = Math.min(...sizes.catchUpHistories);
  const longest = Math.max(...sizes.catchUpHistories);
  const growth = (driver: Driver, prefix: string): number | null => {
    const short = find(driver, `${prefix}${shortest}`)?.ours;
    const long = find(driver, `${prefix}${longest}`)?.ours;
    return short && long ? costMs(long) / costMs(short) : null;
  };

  for (const id of ['addDelta.sequential', 'addDelta.concurrent']) {
    check(find('postgres', id), (row) =>
      row.vsFloor === null
        ? null
        : { rule: '≥ 0.8 of the floor’s rate', observed: formatNumber(1 / row.vsFloor), pass: 1 / row.vsFloor >= 0.8 },
    );
    check(find('memory', id), (row) =>
      row.vsFloor === null
        ? null
        : { rule: '≤ 3× the floor’s time', observed: `${formatNumber(row.vsFloor)}×`, pass: row.vsFloor <= 3 },
    );
  }

  for (const driver of ['memory', 'postgres'] as const) {
    const sequential = find(driver, 'addDelta.sequential')?.ours;
    const batched = find(driver, 'addDeltas.batched');
    if (sequential && batched?.ours) {
      const speedUp = costMs(sequential) / costMs(batched.ours);
      if (driver === 'postgres') {
        batched.budget = {
          rule: '≥ 10× the sequential addDelta rate',
          observed: `${formatNumber(speedUp)}×`,
          pass: speedUp >= 10,
        };
      } else {
        // No round trip to amortise in memory: shown for information, not held to the postgres budget.
        batched.note = `${formatNumber(speedUp)}× the sequential addDelta rate (no budget in memory)`;
      }
    }

    const ours = growth(driver, 'catchUp.');
    check(find(driver, `catchUp.${longest}`), () =>
      ours === null
        ? null
        : {
            rule: `≤ 1.5× the ${formatNumber(shortest)}-delta p50`,
            observed: `${formatNumber(ours)}×`,
            pass: ours <= 1.5,
          },
    );
    // Growing with the history means at least half as fast as the history itself.
    const naive = growth(driver, 'catchUp.naive.');
    const wanted = longest / shortest / 2;
    check(find(driver, `catchUp.naive.${longest}`), () =>
      naive === null
        ? null
        : {
            rule: `grows with the history (≥ ${formatNumber(wanted)}× the ${formatNumber(shortest)}-delta p50)`,
            observed: `${formatNumber(naive)}×`,
            pass: naive >= wanted,
          },
    );
  }

  check(find('memory', 'heap.perDelta'), (row) =>
    row.vsFloor === null
      ? null
      : { rule: '≤ 2.5× the JSON bytes held', observed: `${formatNumber(row.vsFloor)}×`, pass: row.vsFloor <= 2.5 },
  );
}
