import { sharedMemoryStorage } from './support/shared-storage.js';
import { twoServerCases } from './yjs-two-servers.cases.js';

describe('two Hocuspocus servers sharing one memory provider', () => {
  twoServerCases(sharedMemoryStorage, [1, 2], 200);
});
