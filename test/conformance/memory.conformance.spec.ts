import { resolveStorageOptions } from '../../src/storage/contract/options.js';
import { MemoryStorageProvider } from '../../src/storage/memory/memory-storage.provider.js';
import { describeStorageConformance } from './conformance-suite.js';

describeStorageConformance({
  driver: 'memory',
  async createProvider(options) {
    const provider = new MemoryStorageProvider(resolveStorageOptions({ driver: 'memory', ...options }));
    await provider.initialize();
    return provider;
  },
});
