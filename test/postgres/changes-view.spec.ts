import type { PostgresDatabase } from '../../src/storage/postgres/postgres-database.js';
import type { PostgresStorageProvider } from '../../src/storage/postgres/postgres-storage.provider.js';
import { makeDelta } from '../conformance/conformance-helpers.js';
import { createTestDatabase, uniqueName, type TestDatabase } from '../support/postgres.js';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database.drop();
});

/** The provider's connection, reached into on purpose: the test places a barrier between its statements. */
const databaseOf = (provider: PostgresStorageProvider): PostgresDatabase =>
  (provider as unknown as { database: PostgresDatabase }).database;

describe('getChangesSince on postgres', () => {
  it('answers from one view even when another instance commits between its reads', async () => {
    const schema = uniqueName('view');
    const reader = await database.createProvider({ schema });
    const writer = await database.createProvider({ schema, migrate: false });
    await writer.documents.addDeltas('doc', [
      makeDelta('a1', 'a', 1),
      makeDelta('a2', 'a', 2),
      makeDelta('a3', 'a', 3),
    ]);
    await writer.documents.saveSnapshot('doc', new Uint8Array([1]), { a: 1 });

    // After the first read of the transaction, another instance stores a4 and replaces the snapshot.
    const barriers: string[] = [];
    databaseOf(reader).statementObserver = async (statement) => {
      barriers.push(statement.name);
      if (barriers.length > 1) return;
      await writer.documents.addDelta('doc', makeDelta('a4', 'a', 4));
      await writer.documents.saveSnapshot('doc', new Uint8Array([4]), { a: 4 });
    };
    const changes = await reader.documents.getChangesSince('doc', {});
    databaseOf(reader).statementObserver = undefined;

    expect(barriers[0]).toBe('changesHead');
    expect(barriers.length).toBeGreaterThan(1);
    expect({
      ...changes,
      snapshot: changes.snapshot && { ...changes.snapshot, data: Array.from(changes.snapshot.data) },
    }).toEqual({
      snapshot: { data: [1], vectorClock: { a: 1 }, createdAt: expect.any(Date) },
      deltas: [makeDelta('a2', 'a', 2), makeDelta('a3', 'a', 3)],
      vectorClock: { a: 3 },
    });
    // The next call sees the other instance's writes.
    expect((await reader.documents.getChangesSince('doc', {})).vectorClock).toEqual({ a: 4 });
  });
});
