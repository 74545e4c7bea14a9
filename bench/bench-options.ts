/** How big each scenario is. Full mode runs the sizes of issue 4; quick mode keeps the shape at a size CI can afford. */
export interface BenchSizes {
  mode: 'quick' | 'full';
  /** Measured rounds of each throughput scenario (after one warm-up round); the median is reported. */
  memoryRounds: number;
  postgresRounds: number;
  /** Sequential / concurrent addDelta workload. */
  writeDeltas: number;
  writeDocuments: number;
  clients: number;
  concurrentCallers: number;
  batchSize: number;
  /** Catch-up of `catchUpNew` deltas on one document holding each of these history lengths. */
  catchUpHistories: number[];
  catchUpNew: number;
  /** Samples per latency scenario (memory calls are microseconds, so they get more). */
  memoryLatencySamples: number;
  postgresLatencySamples: number;
  naiveSamples: number;
  /** addDeltas batch used to load long histories (set-up, not measured). */
  loadBatch: number;
  resends: number;
  compactedDeltas: number;
  deltasAfterSnapshot: number;
  snapshotSizes: number[];
  snapshotSamples: number;
  awarenessClients: number;
  pagedDocuments: number;
  pageSize: number;
  heapDeltas: number;
}

const MiB = 1024 * 1024;

const FULL: BenchSizes = {
  mode: 'full',
  memoryRounds: 15,
  postgresRounds: 5,
  writeDeltas: 3_000,
  writeDocuments: 100,
  clients: 20,
  concurrentCallers: 8,
  batchSize: 100,
  catchUpHistories: [1_000, 10_000, 100_000],
  catchUpNew: 10,
  memoryLatencySamples: 2_000,
  postgresLatencySamples: 200,
  naiveSamples: 5,
  loadBatch: 1_000,
  resends: 1_000,
  compactedDeltas: 50_000,
  deltasAfterSnapshot: 100,
  snapshotSizes: [1 * MiB, 16 * MiB],
  snapshotSamples: 10,
  awarenessClients: 100,
  pagedDocuments: 100_000,
  pageSize: 1_000,
  heapDeltas: 100_000,
};

const QUICK: BenchSizes = {
  mode: 'quick',
  memoryRounds: 3,
  postgresRounds: 1,
  writeDeltas: 200,
  writeDocuments: 10,
  clients: 20,
  concurrentCallers: 8,
  batchSize: 100,
  catchUpHistories: [1_000, 2_000, 5_000],
  catchUpNew: 10,
  memoryLatencySamples: 300,
  postgresLatencySamples: 20,
  naiveSamples: 3,
  loadBatch: 1_000,
  resends: 100,
  compactedDeltas: 2_000,
  deltasAfterSnapshot: 100,
  snapshotSizes: [256 * 1024, 1 * MiB],
  snapshotSamples: 3,
  awarenessClients: 100,
  pagedDocuments: 2_000,
  pageSize: 1_000,
  heapDeltas: 10_000,
};

export interface BenchOptions {
  sizes: BenchSizes;
  /** Only re-render the chart from a results file. */
  chartOnly: boolean;
  resultsFile: string | null;
}

export function parseBenchArguments(argv: readonly string[]): BenchOptions {
  let quick = false;
  let chartOnly = false;
  let resultsFile: string | null = null;
  for (const argument of argv) {
    if (argument === '--quick') quick = true;
    else if (argument === '--chart') chartOnly = true;
    else if (chartOnly && !argument.startsWith('--')) resultsFile = argument;
    else throw new Error(`unknown argument ${argument}; use --quick, or --chart [results.json]`);
  }
  return { sizes: quick ? QUICK : FULL, chartOnly, resultsFile };
}
