import { costMs } from './harness/measure.js';
import { formatNumber as n, type Driver, type ResultRow } from './harness/results.js';
import type { BenchSizes } from './sizes.js';

/** What a budget is held to: this row, and the cost (ms per operation, or p50) of another row of its driver. */
type Observe = (row: ResultRow, cost: (id: string) => number) => number;

/**
 * A budget: the driver, the row that shows it, the rule, and how the observed value is taken. The rule's
 * leading `≤ x` or `≥ x` is the bound, so what the table says is what is checked.
 */
type Budget = [Driver, string, string, Observe];

const rateVsFloor: Observe = (row) => 1 / row.vsFloor!;
const timeVsFloor: Observe = (row) => row.vsFloor!;
const slowest: Observe = (row) => (row.ours.kind === 'latency' ? row.ours.maxMs : NaN);
const p99: Observe = (row) => (row.ours.kind === 'latency' ? row.ours.p99Ms : NaN);
const versus =
  (...ids: string[]): Observe =>
  (row, cost) =>
    costMs(row.ours) / ids.reduce((sum, id) => sum + cost(id), 0);

function budgets(sizes: BenchSizes, hostile: (rejected: boolean) => string[]): Budget[] {
  const [fewest, most] = [Math.min(...sizes.authorCounts), Math.max(...sizes.authorCounts)];
  const [shortest, longest] = [Math.min(...sizes.catchUpHistories), Math.max(...sizes.catchUpHistories)];
  // Growing with the history means at least half as fast as the history itself.
  const growth = n(longest / shortest / 2);
  // prettier-ignore
  return [
    ...['addDelta.sequential', 'addDelta.concurrent'].flatMap((id): Budget[] => [
      ['postgres', id, '≥ 0.9 of the floor’s rate', rateVsFloor],
      ['postgres', `${id}.twoTransactions`, '≥ 1.2: addDelta’s rate ÷ this one', (row, cost) => costMs(row.ours) / cost(id)],
      ['memory', id, '≤ 2.5× the floor’s time', timeVsFloor],
    ]),
    ['postgres', 'addDelta.oneDocument', '≥ 2× the floor’s rate', rateVsFloor],
    ['postgres', 'addDeltas.batched', '≥ 10× the sequential addDelta rate', (row, cost) => cost('addDelta.sequential') / costMs(row.ours)],
    ['postgres', `authors.addDelta.${most}`, `≤ 1.3× the p50 with ${n(fewest)} authors`, versus(`authors.addDelta.${fewest}`)],
    ['postgres', `authors.catchUp.${most}`, `≤ 1.5× (the p50 with ${n(fewest)} authors + pg reading this since)`, versus(`authors.catchUp.${fewest}`, `authors.readClock.${most}`)],
    ['memory', `authors.catchUp.${most}`, '≤ 1.5× JSON.parse(JSON.stringify(since))', versus(`authors.readClock.${most}`)],
    ['postgres', `saveSnapshot.${Math.max(...sizes.snapshotSizes)}`, '≤ 1.3× the floor’s time', timeVsFloor],
    ['memory', 'heap.perDelta', '≤ 2.5× the JSON held', timeVsFloor],
    ...(['memory', 'postgres'] as const).flatMap((driver): Budget[] => [
      [driver, `catchUp.${longest}`, `≤ 1.5× the p50 on ${n(shortest)} deltas`, versus(`catchUp.${shortest}`)],
      [driver, `catchUp.naive.${longest}`, `≥ ${growth}× the p50 on ${n(shortest)} deltas`, versus(`catchUp.naive.${shortest}`)],
      // Issue 23, finding 6: a first page with since costs about the page, as one without.
      [driver, `firstPage.since.${longest}`, '≤ 4× the p50 without since (postgres: + a round trip, the estimate)', versus(`firstPage.null.${longest}`)],
      ...hostile(true).flatMap((id): Budget[] => [
        [driver, id, '≤ 50 ms, the slowest rejection', slowest],
        [driver, `${id}.health`, '≤ 100 ms, the slowest', slowest],
      ]),
      ...hostile(false).map((id): Budget => [driver, id, '≤ 0 calls that fail', (row) => row.extra['failed']!]),
      // Ids of 200 characters cost a batch about what short ones do (their answer was quadratic on PostgreSQL).
      [driver, 'hostile.batch10kLongIds.documentHeld', '≤ 3× the hold with short ids', versus('hostile.batch10k.documentHeld')],
      // The author bound keeps what one document's clock costs to read small (issue 23, finding 3).
      ...['hostile.clockAt10k', 'hostile.catchUpAt10k'].map((id): Budget => [driver, id, '≤ 100 ms, the slowest', slowest]),
      [driver, 'yjs.bytes.payload', '≤ 0.8× the base64 payload', timeVsFloor],
      [driver, 'yjs.load.snapshot', '≤ 0.5× the load from deltas', timeVsFloor],
    ]),
    ['memory', 'sse.unread.peakRss', '≤ 512 MiB, the peak RSS', (row) => row.extra['peakRssMiB']!],
    ['memory', 'sse.unread.health', '≤ 100 ms, the slowest', slowest],
    ['memory', 'sse.unread.eventLoop', '≤ 100 ms, the longest the event loop was held', slowest],
    // Issue 21: history retention keeps the hot path's cost; an old version costs about a current read.
    ['postgres', 'history.addDelta', '≤ 1.1× the time with retention off', timeVsFloor],
    ['postgres', 'history.catchUp', '≤ 1.1× the time with retention off', timeVsFloor],
    ['postgres', 'history.getChangesAt', '≤ 1.5× getChangesSince(null) of the same size', timeVsFloor],
    // Issue 22: metrics cost next to nothing without an SDK, and little with one.
    ...(['memory', 'postgres'] as const).flatMap((driver) =>
      ['addDelta', 'catchUp'].flatMap((operation): Budget[] => [
        [driver, `metrics.${operation}.noop`, '≤ 1.03× the time with metrics off', timeVsFloor],
        [driver, `metrics.${operation}.sdk`, '≤ 1.1× the time with metrics off', timeVsFloor],
      ]),
    ),
    // Issue 18, on the durable server.
    ['postgres', `feed.latency.${sizes.callers}`, '≤ 50 ms, the p99', p99],
    ['postgres', `feed.lost.${sizes.callers}`, '≤ 1000 ms, the p99 (changeFeedMaxDelayMs)', p99],
    // Issue 19: two Hocuspocus servers on the durable server, real providers over WebSockets.
    ['postgres', 'hocuspocus.ack', '≤ 50 ms, the p99', p99],
    ['postgres', 'hocuspocus.ack.overCommit', '≤ 2 ms over one commit’s p50', (row) => costMs(row.ours) - costMs(row.floor!)],
    ['postgres', 'hocuspocus.presence', '≤ 150 ms, the p99', p99],
    ['postgres', 'hocuspocus.presenceRows', '≤ 1 row write per client per second', (row) => row.extra['writesPerClientPerSecond']!],
    ['postgres', 'hocuspocus.join.100th', '≤ 1× the first joiner’s time', timeVsFloor],
    ...sizes.feedCallers.flatMap((callers): Budget[] => [
      ['postgres', `feed.addDelta.${callers}`, '≥ 0.95 of the floor’s rate', rateVsFloor],
      ['postgres', `feed.writeRate.${callers}`, '≥ 0.9 of the rate without subscribers', rateVsFloor],
    ]),
  ];
}

/** Checks every budget whose row the run has; a miss is reported, never an error. */
export function applyBudgets(rows: ResultRow[], sizes: BenchSizes): void {
  const find = (driver: Driver, id: string) => rows.find((row) => row.driver === driver && row.id === id);
  const hostile = (rejected: boolean): string[] => [
    ...new Set(rows.filter((row) => row.extra['rejected'] === Number(rejected)).map((row) => row.id)),
  ];
  for (const [driver, id, rule, observe] of budgets(sizes, hostile)) {
    const row = find(driver, id);
    if (!row) continue;
    const observed = observe(row, (other) => costMs(find(driver, other)!.ours));
    const [, sign, bound] = /^([≤≥]) ([\d.]+)/.exec(rule)!;
    row.budget = { rule, observed, pass: sign === '≤' ? observed <= Number(bound) : observed >= Number(bound) };
  }
}
