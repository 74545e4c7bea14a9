const MiB = 1024 * 1024;

/** How big each scenario is, as [full, quick]: full mode for the published figures, quick mode (CI) smaller. */
// prettier-ignore
const SIZES = {
  /** Measured rounds of a rate (after warm-up rounds) and samples of a latency; memory calls take microseconds. */
  rounds: [{ memory: 15, postgres: 5 }, { memory: 3, postgres: 1 }],
  /** The same for write rates: on the durable server their rounds move by 10-15% (flushes, checkpoints). */
  writeRounds: [{ memory: 15, postgres: 9 }, { memory: 3, postgres: 1 }],
  samples: [{ memory: 2_000, postgres: 200 }, { memory: 300, postgres: 20 }],
  writeDeltas: [1_500, 200],
  writeDocuments: [100, 10],
  clients: [20, 20],
  callers: [8, 8],
  batchSize: [100, 100],
  /** addDelta by `callers` callers on one document. */
  oneDocumentDeltas: [1_000, 200],
  /** Cost against authors: a document of `authorHistory` deltas written by each of these many authors. */
  authorHistory: [10_000, 1_000],
  authorCounts: [[10, 1_000, 10_000], [10, 100, 1_000]],
  /** Samples of each call on those documents: reading a 10,000-author clock takes milliseconds, even in memory. */
  authorSamples: [100, 20],
  catchUpHistories: [[1_000, 10_000, 100_000], [1_000, 2_000, 5_000]],
  catchUpNew: [10, 10],
  naiveSamples: [5, 3],
  /** Set-up loads in addDeltas batches of this many. */
  loadBatch: [500, 500],
  compactedDeltas: [50_000, 2_000],
  snapshotSizes: [[1 * MiB, 16 * MiB], [256 * 1024, 1 * MiB]],
  snapshotSamples: [10, 3],
  awarenessClients: [100, 100],
  pagedDocuments: [50_000, 2_000],
  heapDeltas: [100_000, 10_000],
  hostileSamples: [3, 1],
  /** Change feed: deltas whose delivery is timed, and subscribers on the listening provider. */
  feedDeltas: [1_000, 100],
  feedSubscribers: [100, 100],
  /** Callers of the feed's write-rate rows (issue 18's budgets: 8 and 32). */
  feedCallers: [[8, 32], [8, 32]],
  /** Yjs: one-keystroke updates stored, and timed loads of the document they make. */
  yjsUpdates: [10_000, 2_000],
  yjsLoads: [7, 3],
} satisfies Record<string, [unknown, unknown]>;

export type BenchSizes = { mode: 'full' | 'quick' } & { [K in keyof typeof SIZES]: (typeof SIZES)[K][0] };

/**
 * `--quick`, `--only=<words>` to run the scenarios whose name holds one of the comma-separated words, or
 * `--chart [results.json]` to redraw the charts from a run's results (default: the latest).
 */
export function parseBenchArguments(argv: readonly string[]) {
  let [quick, chartOnly, resultsFile] = [false, false, null as string | null];
  let only: string[] | null = null;
  for (const argument of argv) {
    if (argument === '--quick') quick = true;
    else if (argument.startsWith('--only=')) only = argument.slice('--only='.length).split(',');
    else if (argument === '--chart') chartOnly = true;
    else if (chartOnly && !argument.startsWith('--')) resultsFile = argument;
    else throw new Error(`unknown argument ${argument}; use --quick, --only=<words>, or --chart [results.json]`);
  }
  const sizes = Object.fromEntries(Object.entries(SIZES).map(([name, pair]) => [name, pair[quick ? 1 : 0]]));
  return { sizes: { ...sizes, mode: quick ? 'quick' : 'full' } as BenchSizes, chartOnly, resultsFile, only };
}
