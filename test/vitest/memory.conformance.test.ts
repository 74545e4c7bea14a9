// The conformance kit under Vitest, as a user of the package writes it: the built package's public entries only
// (vitest.config.mjs points 'nest-sync-storage' and 'nest-sync-storage/testing' at dist/esm), Vitest's
// functions passed in (no globals). The store is the memory driver opened through `openStorageProvider`.
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStorageProvider } from 'nest-sync-storage';
import { runStorageConformance } from 'nest-sync-storage/testing';

runStorageConformance(
  'memory driver under Vitest',
  (options) => openStorageProvider({ driver: 'memory', ...options }),
  {
    describe,
    it,
    expect,
    beforeEach,
    afterEach,
    afterAll,
  },
);
