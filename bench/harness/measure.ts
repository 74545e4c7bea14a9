/** A rate: how many operations per second a whole workload ran at. */
export interface Throughput {
  kind: 'throughput';
  opsPerSecond: number;
  /** Operations in one round. */
  ops: number;
  /** Time of each measured round; the rate comes from their median. */
  roundMs: number[];
}

/** Per-call latency percentiles, in milliseconds. */
export interface Latency {
  kind: 'latency';
  p50Ms: number;
  p99Ms: number;
  samples: number;
}

/** Heap retained per stored item. */
export interface HeapBytes {
  kind: 'heap';
  bytesPerItem: number;
  items: number;
}

export type Measurement = Throughput | Latency | HeapBytes;

/** One round of a paired throughput scenario: both sides run the same number of operations on fresh data. */
export interface PairedRound {
  ops: number;
  ours: (() => Promise<void>) | null;
  floor: (() => Promise<void>) | null;
}

export interface PairedThroughput {
  ours: Throughput | null;
  floor: Throughput | null;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Nearest-rank percentile of already sorted values. */
function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))]!;
}

export function latencyOf(samplesMs: readonly number[]): Latency {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  return { kind: 'latency', p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99), samples: sorted.length };
}

const roundTo3 = (value: number): number => Math.round(value * 1000) / 1000;

async function elapsedMs(work: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

/**
 * Runs `warmups` unmeasured rounds, then `rounds` measured ones; in each, ours and the floor run back
 * to back (alternating which goes first, so neither always inherits the other's garbage).
 */
export async function pairedThroughput(
  rounds: number,
  makeRound: (round: number) => Promise<PairedRound>,
  warmups = 1,
): Promise<PairedThroughput> {
  const oursMs: number[] = [];
  const floorMs: number[] = [];
  let ops = 0;
  for (let round = 0; round < warmups + rounds; round++) {
    const work = await makeRound(round);
    ops = work.ops;
    const sides = round % 2 === 0 ? [work.ours, work.floor] : [work.floor, work.ours];
    const times = [];
    for (const side of sides) times.push(side ? await elapsedMs(side) : null);
    const [ours, floor] = round % 2 === 0 ? times : [times[1], times[0]];
    if (round < warmups) continue;
    if (ours != null) oursMs.push(ours);
    if (floor != null) floorMs.push(floor);
  }
  const rate = (times: number[]): Throughput | null =>
    times.length === 0
      ? null
      : { kind: 'throughput', opsPerSecond: (ops * 1000) / median(times), ops, roundMs: times.map(roundTo3) };
  return { ours: rate(oursMs), floor: rate(floorMs) };
}

export interface TimedCall {
  name: string;
  call: () => Promise<unknown>;
  samples: number;
}

/** Times each call `samples` times (after `warmup` untimed calls), taking turns so every call sees the same noise. */
export async function interleavedLatency(calls: readonly TimedCall[], warmup: number): Promise<Map<string, Latency>> {
  for (let i = 0; i < warmup; i++) for (const { call } of calls) await call();
  const samples = new Map<string, number[]>(calls.map(({ name }) => [name, []]));
  const longest = Math.max(...calls.map((call) => call.samples));
  for (let i = 0; i < longest; i++) {
    const turn = i % 2 === 0 ? calls : [...calls].reverse();
    for (const { name, call, samples: wanted } of turn) {
      const taken = samples.get(name)!;
      if (taken.length >= wanted) continue;
      const started = performance.now();
      await call();
      taken.push(performance.now() - started);
    }
  }
  return new Map([...samples].map(([name, values]) => [name, latencyOf(values)]));
}

/** Runs `work` for each item with `callers` concurrent callers taking the next item as they finish. */
export async function withCallers<T>(
  items: readonly T[],
  callers: number,
  work: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const caller = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: callers }, caller));
}

/** Time per operation (or per call) of a measurement, in ms: what ratios compare. */
export function costMs(measurement: Measurement): number {
  if (measurement.kind === 'throughput') return 1000 / measurement.opsPerSecond;
  if (measurement.kind === 'latency') return measurement.p50Ms;
  return measurement.bytesPerItem;
}
