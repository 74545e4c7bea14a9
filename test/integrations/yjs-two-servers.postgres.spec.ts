import { postgresStorages } from './support/shared-postgres-storage.js';
import { twoServerCases } from './yjs-two-servers.cases.js';

const storages = postgresStorages();
afterAll(() => storages.dispose());

describe('two Hocuspocus servers on one PostgreSQL schema, a provider each, no Redis', () => {
  twoServerCases(() => storages.create(), [1, 2], 160);
});
