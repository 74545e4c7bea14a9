// The thread of `workerListeners`: a provider of its own, as another instance has, and its listeners.
import { parentPort, workerData } from 'node:worker_threads';
import type { StorageModuleOptions } from '../../src/index.js';
import { loadBuiltPackage, startStorageApp } from '../setup.js';
import { localListeners, type FeedListeners } from './feed-listeners.js';

const { options } = workerData as { options: StorageModuleOptions };
const app = await startStorageApp(await loadBuiltPackage(), options);
const listeners = localListeners(app.provider);

parentPort!.on('message', async ({ seq, name, args }: { seq: number; name: keyof FeedListeners; args: unknown[] }) => {
  try {
    const value = await (listeners[name] as (...args: unknown[]) => Promise<unknown>)(...args);
    if (name === 'close') await app.close();
    parentPort!.postMessage({ seq, value });
  } catch (error) {
    parentPort!.postMessage({ seq, error: error instanceof Error ? error.message : String(error) });
  }
});
