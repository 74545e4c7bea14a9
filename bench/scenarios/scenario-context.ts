import type { DocumentStore, StorageProvider } from '../../src/index.js';
import type { BenchSizes } from '../bench-options.js';
import type { Floor } from '../floors/floor.js';
import type { Driver, NewRow } from '../harness/results.js';
import type { PostgresInspector } from '../setup/postgres-inspector.js';
import type { StoragePackage } from '../setup/storage-package.js';

/** What every scenario gets: one driver's provider (from the public API), its floor and the sizes. */
export interface ScenarioContext {
  driver: Driver;
  /** The provider a user gets from `StorageModule`; null when the driver could not start (only floors run). */
  provider: StorageProvider | null;
  floor: Floor;
  /** postgres only: the driver's database (null while the driver cannot start) and the floor's, for set-up and plans. */
  databases: { driver: PostgresInspector | null; floor: PostgresInspector } | null;
  sizes: BenchSizes;
  pkg: StoragePackage;
  /** Unmeasured and measured rounds of throughput scenarios, and samples of latency ones, for this driver. */
  warmupRounds: number;
  rounds: number;
  latencySamples: number;
  record(row: Omit<NewRow, 'driver'>): void;
  progress(message: string): void;
}

export function documentsOf(context: ScenarioContext): DocumentStore | null {
  return context.provider?.documents ?? null;
}

/** A store answer that differs from what the workload implies is an error, not a slow run. */
export function expectEqual(actual: unknown, expected: unknown, what: string): void {
  if (actual !== expected) throw new Error(`${what}: expected ${String(expected)}, got ${String(actual)}`);
}

export function count(value: number): string {
  return value.toLocaleString('en-US');
}
