/** A rate: operations per second of a workload of `ops` operations, from the median of its rounds. */
export type Throughput = { kind: 'throughput'; opsPerSecond: number; ops: number; roundMs: number[] };
/** Per-call latency percentiles, in milliseconds. */
export type Latency = { kind: 'latency'; p50Ms: number; p99Ms: number; maxMs: number; samples: number };
/** Bytes per stored item: the heap it retains (`heap`), or its payload or share of the disk (`stored`). */
export type Bytes = { kind: 'heap' | 'stored'; bytesPerItem: number; items: number };
export type Measurement = Throughput | Latency | Bytes;

export type Work = () => Promise<unknown>;
/** One side of a round: `run` is timed; `setUp` and `tearDown` (subscribing, say) are not. */
export type Side = { setUp?: Work; run: Work; tearDown?: Work };
/** One round: every side does the same `ops` operations, each on data of its own. */
export type Round = { ops: number; sides: Record<string, Work | Side | null> };

export const sum = (values: readonly number[]): number => values.reduce((total, value) => total + value, 0);

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function latencyOf(samplesMs: readonly number[]): Latency {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  // Nearest rank.
  const at = (fraction: number): number => sorted[Math.max(0, Math.ceil(fraction * sorted.length) - 1)]!;
  return { kind: 'latency', p50Ms: at(0.5), p99Ms: at(0.99), maxMs: at(1), samples: sorted.length };
}

export async function elapsedMs(work: Work): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

/**
 * Runs `warmups` unmeasured rounds, then `rounds` measured ones. The sides of a round run one after the
 * other, in an order that rotates every round, so none always inherits another's garbage or cache.
 */
export async function interleavedRounds(rounds: number, warmups: number, makeRound: (round: number) => Promise<Round>) {
  const times = new Map<string, number[]>();
  let ops = 0;
  for (let round = 0; round < warmups + rounds; round++) {
    const work = await makeRound(round);
    ops = work.ops;
    const sides = Object.entries(work.sides).filter((entry): entry is [string, Work | Side] => entry[1] !== null);
    const first = round % sides.length;
    for (const [name, side] of [...sides.slice(first), ...sides.slice(0, first)]) {
      const { setUp, run, tearDown } = typeof side === 'function' ? { run: side } : side;
      await setUp?.();
      const ms = await elapsedMs(run);
      await tearDown?.();
      if (round >= warmups) times.set(name, [...(times.get(name) ?? []), Math.round(ms * 1000) / 1000]);
    }
  }
  return new Map<string, Throughput>(
    [...times].map(([name, roundMs]) => [
      name,
      { kind: 'throughput', opsPerSecond: (ops * 1000) / median(roundMs), ops, roundMs },
    ]),
  );
}

/** Times each call `samples` times, after 5 untimed calls, taking turns so every call sees the same noise. */
export async function interleavedLatency(calls: Record<string, Work | null>, samples: number) {
  const named = Object.entries(calls).filter((entry): entry is [string, Work] => entry[1] !== null);
  for (let i = 0; i < 5; i++) for (const [, call] of named) await call();
  const taken = new Map<string, number[]>(named.map(([name]) => [name, []]));
  for (let i = 0; i < samples; i++)
    for (const [name, call] of i % 2 === 0 ? named : [...named].reverse()) taken.get(name)!.push(await elapsedMs(call));
  return new Map<string, Latency>([...taken].map(([name, values]) => [name, latencyOf(values)]));
}

/** Runs `work` for each item with `callers` concurrent callers, each taking the next item when it is done. */
export async function withCallers<T>(items: readonly T[], callers: number, work: (item: T) => Promise<unknown>) {
  let next = 0;
  const caller = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: callers }, caller));
}

/** Time per operation (or per call) of a measurement, in ms, or bytes per item: what ratios compare. */
export function costMs(measurement: Measurement): number {
  if (measurement.kind === 'throughput') return 1000 / measurement.opsPerSecond;
  if (measurement.kind === 'latency') return measurement.p50Ms;
  return measurement.bytesPerItem;
}
