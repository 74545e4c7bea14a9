import type * as StorageEntry from '../../src/index.js';

/** The package's public exports, typed from the source entry so this compiles before `dist/` exists. */
export type StoragePackage = typeof StorageEntry;

/** Imports the built package by its own name, as a user does: `exports` resolves it to `dist/esm/index.js`. */
export async function loadBuiltPackage(): Promise<StoragePackage> {
  // A variable keeps TypeScript from resolving the name at compile time (dist/ may not exist yet).
  const packageName: string = 'nest-sync-storage';
  return (await import(packageName)) as StoragePackage;
}
