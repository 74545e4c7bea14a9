// Vitest runs the conformance kit as a user of the package would (test/vitest): on the build in dist/esm
// (`npm run test:vitest` builds first), through the package's public entries. Jest runs everything else.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const built = (file) => fileURLToPath(new URL(`./dist/esm/${file}`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^nest-sync-storage\/testing$/, replacement: built('testing/index.js') },
      { find: /^nest-sync-storage$/, replacement: built('index.js') },
    ],
  },
  test: { include: ['test/vitest/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 60_000 },
});
