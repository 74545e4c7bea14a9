import type { DocumentStore, StorageModuleOptions, StorageProvider } from '../../src/index.js';
import { FLOOR_LABELS, type Floor, type FloorOperation } from '../floors/floor.js';
import type { PostgresFloor } from '../floors/postgres-floor.js';
import type { Latency, Measurement, Round, Throughput, Work } from '../harness/measure.js';
import type { Driver, NewRow } from '../harness/results.js';
import type { StorageApp, StoragePackage } from '../setup.js';
import type { BenchSizes } from '../sizes.js';
import { chunk, clientIds, DeltaSequence } from '../workload.js';

/** What every scenario gets: one driver's provider from `StorageModule`, its floor, and the sizes. */
export interface ScenarioContext {
  driver: Driver;
  pkg: StoragePackage;
  provider: StorageProvider;
  documents: DocumentStore;
  floor: Floor;
  /** postgres only: the floor's extras, and a second provider on the driver's database. */
  postgres: {
    floor: PostgresFloor;
    /** A second provider on the driver's database, with `options` on top of the driver's. */
    startProvider(options?: Partial<Omit<StorageModuleOptions, 'driver'>>): Promise<StorageApp>;
    /** The driver's options, for a provider opened elsewhere (a worker thread); they hold the URL: never print them. */
    providerOptions: StorageModuleOptions;
    analyze(): Promise<void>;
    /** Plain SQL on the driver's database, for figures only it knows (sizes on disk). */
    query<Row extends Record<string, unknown>>(sql: string): Promise<Row[]>;
  } | null;
  sizes: BenchSizes;
  /** Latencies of calls taking turns, `samples` each (default: this driver's), named by call. */
  latency(calls: Record<string, Work | null>, samples?: number): Promise<Map<string, Latency>>;
  /** Rates of the sides of interleaved rounds (default: this driver's number), after warm-up rounds, named by side. */
  rates(makeRound: (round: number) => Promise<Round>, rounds?: number): Promise<Map<string, Throughput>>;
  record(row: NewRow): void;
  progress(message: string): void;
}

/** A scenario module's export; `drivers` limits it to some drivers. */
export type Scenario = { name: string; drivers?: Driver[]; run(context: ScenarioContext): Promise<void> };

/** The row a comparison records, with its floor named by operation. */
export type RowHead = Omit<NewRow, 'ours' | 'floor' | 'floorLabel'> & { floor: FloorOperation };

/** Records ours against the floor from measurements named by side (`ours`, `floor`, ...). */
export function vsFloor(context: ScenarioContext, head: RowHead, measured: Map<string, Measurement>): void {
  const floor = measured.get('floor') ?? null;
  const floorLabel = floor && FLOOR_LABELS[head.floor][context.driver];
  context.record({ ...head, ours: measured.get('ours')!, floor, floorLabel });
}

/** A document's history to load: `old` deltas, then `fresh` ones, by `authors` clients. */
type HistoryShape = { documentId: string; authors: number; old: number; fresh: number };

/**
 * Set-up, not measured: the store (in `addDeltas` batches) and the floor get the same history. `since` is the
 * clock between its old and fresh deltas: a catch-up from it returns exactly the fresh ones.
 */
export async function loadHistory(context: ScenarioContext, { documentId, authors, old, fresh }: HistoryShape) {
  const sequence = new DeltaSequence(clientIds(authors));
  const oldDeltas = sequence.take(old);
  const since = sequence.clockSoFar();
  const freshDeltas = sequence.take(fresh);
  const started = performance.now();
  for (const part of chunk([...oldDeltas, ...freshDeltas], context.sizes.loadBatch)) {
    expectEqual(await context.documents.addDeltas(documentId, part), part.length, `deltas stored in ${documentId}`);
    await context.floor.addDeltas(documentId, part);
  }
  await context.postgres?.analyze();
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (old + fresh >= 10_000) context.progress(`loaded ${count(old + fresh)} deltas into ${documentId}: ${seconds} s`);
  const json = freshDeltas.map((delta) => JSON.stringify(delta));
  return { documentId, sequence, since, clock: sequence.clockSoFar(), fresh: freshDeltas, json };
}

/** The catch-up of a loaded history's fresh deltas, through the store and through the floor. */
export function catchUpCalls(context: ScenarioContext, loaded: Awaited<ReturnType<typeof loadHistory>>) {
  const { documentId, since, fresh, json } = loaded;
  return {
    ours: async () =>
      expectEqual((await context.documents.getDeltasSince(documentId, since)).length, fresh.length, 'catch-up'),
    floor: async () => expectEqual(await context.floor.getDeltasSince(documentId, since, json), fresh.length, 'floor'),
  };
}

/** A store answer that differs from what the workload implies is an error, not a slow run. */
export function expectEqual(actual: unknown, expected: unknown, what: string): void {
  if (actual !== expected) throw new Error(`${what}: expected ${String(expected)}, got ${String(actual)}`);
}

export const count = (value: number): string => value.toLocaleString('en-US');
