import { StorageUnavailableError, type StorageProvider } from '../../src/index.js';
import { makeDelta } from '../conformance/conformance-helpers.js';
import { eventually } from '../fixtures/eventually.js';
import { createTestDatabase, uniqueName, type TestDatabase } from '../support/postgres.js';
import { holdLock, lockWaiters, occupyOnlyConnection, STORAGE_APPLICATION } from '../support/sql.js';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database.drop();
});

/** Holds a document's row lock in an open transaction, as another instance mid-write would. */
const holdDocumentLock = (schema: string, documentId: string) =>
  holdLock(database.url, `select 1 from "${schema}".sync_documents where id = $1 for update`, [documentId]);

/** What pg_stat_activity shows of the statements our provider runs right now. */
async function activeDriverStatements(): Promise<string[]> {
  const rows = await database.query<{ query: string }>(
    `select query from pg_stat_activity where datname = current_database() and application_name = $1
       and state = 'active'`,
    [STORAGE_APPLICATION],
  );
  return rows.map((row) => row.query);
}

describe('the write path of one process', () => {
  let provider: StorageProvider;
  let schema: string;

  beforeEach(async () => {
    schema = uniqueName('writes');
    provider = await database.createProvider({ schema });
  });

  it('commits addDelta calls that wait behind a running one together, in one transaction', async () => {
    const calls = Array.from({ length: 8 }, (_, i) =>
      provider.documents.addDelta('hot', makeDelta(`d${i}`, `c${i}`, 1)),
    );
    expect(await Promise.all(calls)).toEqual(Array.from({ length: 8 }, () => true));
    // Rows written by one transaction share its id (xmin): the first call runs alone, the seven behind it together.
    const [row] = await database.query<{ transactions: string }>(
      `select count(distinct xmin::text) as transactions from "${schema}".sync_deltas where document_id = 'hot'`,
    );
    expect(Number(row!.transactions)).toBe(2);
    const stored = await provider.documents.getDeltasSince('hot');
    expect(stored.map((delta) => delta.id)).toEqual(Array.from({ length: 8 }, (_, i) => `d${i}`));
  });

  it('keeps bytes, JSON, resends and a clash of the calls committed together apart, each with its own answer', async () => {
    await provider.documents.addDelta('mixed', makeDelta('seed', 'a', 1));
    const lock = await holdDocumentLock(schema, 'mixed');
    const calls = [
      provider.documents.addDelta('mixed', makeDelta('bytes', 'b', 1, { data: new Uint8Array([0, 255, 7]) })),
      provider.documents.addDelta('mixed', makeDelta('json', 'c', 1, { data: { text: 'é\u0000✓' } })),
      provider.documents.addDelta('mixed', makeDelta('seed', 'a', 1)),
      provider.documents.addDelta('mixed', makeDelta('clash', 'a', 1)),
      provider.documents.addDelta('mixed', makeDelta('empty', 'd', 1, { data: new Uint8Array([]) })),
    ];
    try {
      await eventually(async () => (await lockWaiters(database.url)) > 0, 'the first call waits for the lock');
    } finally {
      await lock.release();
    }
    const outcomes = await Promise.allSettled(calls);
    expect(outcomes.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : outcome.reason.name))).toEqual([
      true,
      true,
      false,
      'DeltaConflictError',
      true,
    ]);
    const stored = await provider.documents.getDeltasSince('mixed');
    expect(stored.map((delta) => [delta.id, delta.data])).toEqual([
      ['seed', makeDelta('seed', 'a', 1).data],
      ['bytes', new Uint8Array([0, 255, 7])],
      ['json', { text: 'é\u0000✓' }],
      ['empty', new Uint8Array([])],
    ]);
  });

  it('sends every value as a bound parameter: a running write shows placeholders, never its data', async () => {
    await provider.documents.addDelta('doc', makeDelta('seed', 'a', 1));
    const lock = await holdDocumentLock(schema, 'doc');
    const secretData = { secret: 'value-that-must-not-be-in-sql-text' };
    const write = provider.documents.addDelta('doc', makeDelta('d2', 'a', 2, { data: secretData }));
    try {
      await eventually(async () => (await lockWaiters(database.url)) > 0, 'the write waits for the lock');
      const statements = await activeDriverStatements();
      expect(statements).toEqual([expect.stringContaining('$1')]);
      expect(statements.join('\n')).not.toContain('value-that-must-not-be-in-sql-text');
    } finally {
      await lock.release();
    }
    expect(await write).toBe(true);
  });

  it('never runs two of its transactions on one document at once: a call that waits too long is dropped', async () => {
    const impatient = await database.createProvider({
      schema,
      mikroOrm: { pool: { acquireTimeoutMillis: 400 } },
    });
    await impatient.documents.addDelta('doc', makeDelta('seed', 'a', 1));
    const lock = await holdDocumentLock(schema, 'doc');
    try {
      const first = impatient.documents.addDelta('doc', makeDelta('first', 'b', 1));
      const second = impatient.documents.saveSnapshot('doc', new Uint8Array([1]), { a: 1 });
      const error = await second.catch((rejection: unknown) => rejection);
      expect(error).toBeInstanceOf(StorageUnavailableError);
      expect((error as Error).message).toMatch(/waiting for earlier writes/);
      // Only the first call's transaction ever reached the database.
      expect(await lockWaiters(database.url)).toBe(1);
      await lock.release();
      expect(await first).toBe(true);
    } finally {
      await lock.release().catch(() => undefined);
    }
    expect(await impatient.documents.getSnapshot('doc')).toBeNull();
  });

  it('rejects the calls still waiting with StorageUnavailableError when the provider closes', async () => {
    const closing = await database.createProvider({ schema });
    await closing.documents.addDelta('doc', makeDelta('seed', 'a', 1));
    const lock = await holdDocumentLock(schema, 'doc');
    const running = closing.documents.addDelta('doc', makeDelta('running', 'a', 2));
    const waiting = [3, 4, 5].map((n) => closing.documents.addDelta('doc', makeDelta(`waiting-${n}`, 'a', n)));
    await eventually(async () => (await lockWaiters(database.url)) > 0, 'the first write waits for the lock');
    const closed = closing.close();
    for (const outcome of await Promise.allSettled(waiting))
      expect(outcome).toMatchObject({ status: 'rejected', reason: expect.any(StorageUnavailableError) });
    await lock.release();
    // The call already in the database finishes or fails with the pool; either way the provider closes.
    await Promise.allSettled([running, closed]);
    const stored = (await provider.documents.getDeltasSince('doc')).map((delta) => delta.id);
    expect(stored.filter((id) => id.startsWith('waiting'))).toEqual([]);
  });

  it('rejects calls waiting for a pooled connection with StorageUnavailableError when the provider closes', async () => {
    // The pool would keep them waiting for ten minutes: only the provider's close can end the wait.
    const small = await database.createProvider({
      schema,
      migrate: false,
      pool: { max: 1 },
      mikroOrm: { pool: { acquireTimeoutMillis: 600_000 } },
    });
    const occupied = await occupyOnlyConnection(database.url, schema, small.documents);
    try {
      // Both wait for the pool's only connection: a read, and a write to another document.
      const read = small.documents.getDeltasSince('elsewhere');
      const write = small.documents.addDelta('other', makeDelta('o1', 'o', 1));
      const closed = small.close();
      for (const outcome of await Promise.allSettled([read, write]))
        expect(outcome).toMatchObject({ status: 'rejected', reason: expect.any(StorageUnavailableError) });
      await occupied.release();
      await closed;
    } finally {
      await occupied.release();
    }
  });
});
