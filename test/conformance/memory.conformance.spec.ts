import { resolveStorageOptions } from '../../src/storage/contract/options.js';
import { MemoryStorageProvider } from '../../src/storage/memory/memory-storage.provider.js';
import { runStorageConformance } from '../../src/testing/index.js';

runStorageConformance('memory driver', {
  driver: 'memory',
  async createProvider(options) {
    const provider = new MemoryStorageProvider(resolveStorageOptions({ driver: 'memory', ...options }));
    await provider.initialize();
    return provider;
  },
});
