import type { StorageProvider } from '../../src/index.js';
import type { ResolvedStorageOptions } from '../../src/storage/contract/options.js';
import { resolveStorageOptions } from '../../src/storage/contract/options.js';
import { MemoryStorageProvider } from '../../src/storage/memory/memory-storage.provider.js';
import { createTestDatabase, type TestDatabase } from './postgres.js';

export type TargetOptions = Omit<Partial<ResolvedStorageOptions>, 'driver'>;

/** A driver the reliability tests run against: hands out fresh, empty providers. */
export interface StorageTarget {
  readonly driver: 'memory' | 'postgres';
  /** A new provider on empty storage (postgres: a schema of its own), initialised. */
  createProvider(options?: TargetOptions): Promise<StorageProvider>;
  /** Closes what it opened. */
  dispose(): Promise<void>;
}

export function memoryTarget(): StorageTarget {
  const providers = new Set<StorageProvider>();
  return {
    driver: 'memory',
    async createProvider(options = {}) {
      const provider = new MemoryStorageProvider(resolveStorageOptions({ driver: 'memory', ...options }));
      await provider.initialize();
      providers.add(provider);
      return provider;
    },
    async dispose() {
      await Promise.all([...providers].map((provider) => provider.close()));
    },
  };
}

/** Postgres on the test harness's server (shared by the run, or started for this file). */
export async function postgresTarget(): Promise<StorageTarget & { readonly database: TestDatabase }> {
  const database = await createTestDatabase();
  return {
    driver: 'postgres',
    database,
    createProvider: (options = {}) => database.createProvider(options),
    dispose: () => database.drop(),
  };
}

export const DRIVERS = ['memory', 'postgres'] as const;
export type Driver = (typeof DRIVERS)[number];

/**
 * One target per driver for a whole test file, built on first use so that a file starts PostgreSQL only when it
 * reaches a postgres test; `dispose()` (in the file's `afterAll`) closes them.
 */
export function lazyTargets(): { get(driver: Driver): Promise<StorageTarget>; dispose(): Promise<void> } {
  const built = new Map<Driver, Promise<StorageTarget>>();
  return {
    get(driver) {
      let target = built.get(driver);
      if (!target) {
        target = driver === 'memory' ? Promise.resolve(memoryTarget()) : postgresTarget();
        built.set(driver, target);
      }
      return target;
    },
    async dispose() {
      const targets = await Promise.allSettled(built.values());
      built.clear();
      for (const outcome of targets) if (outcome.status === 'fulfilled') await outcome.value.dispose();
    },
  };
}
