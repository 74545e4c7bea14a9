// The thread of `workerListeners`: a provider of its own, as another instance has, and its listeners.
import { workerData } from 'node:worker_threads';
import type { StorageModuleOptions } from '../../src/index.js';
import { loadBuiltPackage, startStorageApp } from '../setup.js';
import { localListeners, type ListenerHandlers } from './feed-listeners.js';
import { serve } from './threads.js';

const { options } = workerData as { options: StorageModuleOptions };
const app = await startStorageApp(await loadBuiltPackage(), options);
const listeners = localListeners(app.provider);

serve({
  ...listeners,
  close: async () => {
    await listeners.close();
    await app.close();
  },
} satisfies ListenerHandlers);
