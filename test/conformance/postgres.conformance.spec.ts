import type { StorageProvider } from '../../src/index.js';
import { createTestDatabase, uniqueName, type TestDatabase } from '../support/postgres.js';
import { runStorageConformance } from '../../src/testing/index.js';

let database: TestDatabase | undefined;
/** Migrated schemas whose provider was closed; emptied before they serve the next test. */
const idleSchemas: string[] = [];

runStorageConformance('postgres driver', {
  driver: 'postgres',
  async createProvider(options = {}) {
    database ??= await createTestDatabase();
    const reused = idleSchemas.pop();
    // A fresh schema costs a full migration (~0.1 s); emptying one that is already migrated is cheaper.
    if (reused)
      await database.query(
        `delete from "${reused}".sync_documents; delete from "${reused}".sync_awareness; delete from "${reused}".sync_changes`,
      );
    const schema = reused ?? uniqueName('conformance');
    const provider = await database.createProvider({ ...options, schema, migrate: !reused });
    return releasingSchemaOnClose(provider, () => idleSchemas.push(schema));
  },
  async teardown() {
    await database?.drop();
    database = undefined;
  },
});

/** The provider itself, except that closing it also hands its schema back for reuse. */
function releasingSchemaOnClose(provider: StorageProvider, release: () => void): StorageProvider {
  let released = false;
  return {
    driver: provider.driver,
    documents: provider.documents,
    awareness: provider.awareness,
    initialize: () => provider.initialize(),
    checkHealth: () => provider.checkHealth(),
    changes: (documentId, options) => provider.changes(documentId, options),
    async close() {
      await provider.close();
      if (!released) {
        released = true;
        release();
      }
    },
  };
}
