import { HistoryUnavailableError, type StorageProvider } from '../../src/index.js';
import { makeDelta } from '../conformance/conformance-helpers.js';
import { eventually } from '../fixtures/eventually.js';
import { DOCUMENT_STORE, StorageModule, type DocumentStore } from '../../src/index.js';
import { startNestApp } from '../support/nest-app.js';
import { createTestDatabase, uniqueName, type TestDatabase } from '../support/postgres.js';

let database: TestDatabase;
let schema: string;
let provider: StorageProvider;

beforeAll(async () => {
  database = await createTestDatabase();
  schema = uniqueName('history');
  provider = await database.createProvider({ schema, historyRetentionMs: 60_000 });
});

afterAll(async () => {
  await provider.close();
  await database.drop();
});

/** How many rows of each table of the storage schema name `text` anywhere in them (read via the catalog). */
async function rowsNaming(text: string): Promise<Record<string, number>> {
  const tables = await database.query<{ table_name: string }>(
    `select table_name from information_schema.tables where table_schema = $1 and table_type = 'BASE TABLE'`,
    [schema],
  );
  const found: Record<string, number> = {};
  for (const { table_name } of tables) {
    const [row] = await database.query<{ count: string }>(
      `select count(*) from "${schema}"."${table_name}" as t where strpos(t::text, $1) > 0`,
      [text],
    );
    found[table_name] = Number(row!.count);
  }
  return found;
}

/** Writes a history of deltas, snapshots and compactions (with retention on, some of it lands in history tables). */
async function writeHistory(documentId: string): Promise<void> {
  const { documents, awareness } = provider;
  for (let round = 1; round <= 3; round++) {
    const deltas = Array.from({ length: 50 }, (_, i) =>
      makeDelta(`${documentId}-${round}-${i}`, 'a', (round - 1) * 50 + i + 1),
    );
    await documents.addDeltas(documentId, deltas);
    const clock = await documents.getVectorClock(documentId);
    await documents.saveSnapshot(documentId, new TextEncoder().encode(`${documentId} round ${round}`), clock);
    await documents.compactDeltas(documentId, clock);
  }
  await awareness.set(documentId, 'alice', { doc: documentId }, 1);
}

describe('history on the postgres driver', () => {
  it('keeps what compaction and snapshot replacement remove in the history tables while retention is on', async () => {
    await writeHistory('kept-doc');
    const [deltas] = await database.query<{ count: string }>(
      `select count(*) from "${schema}".sync_history_deltas where document_id = 'kept-doc'`,
    );
    const [snapshots] = await database.query<{ count: string }>(
      `select count(*) from "${schema}".sync_history_snapshots where document_id = 'kept-doc'`,
    );
    expect({ deltas: Number(deltas!.count), snapshots: Number(snapshots!.count) }).toEqual({
      deltas: 150,
      snapshots: 2,
    });
  });

  it('erase leaves no row naming the document in any table of the storage schema, and spares the others', async () => {
    await writeHistory('erased-doc-7f3a');
    await writeHistory('spared-doc-7f3a');
    const before = await rowsNaming('erased-doc-7f3a');
    expect(before['sync_history_deltas']).toBeGreaterThan(0);
    expect(before['sync_changes']).toBeGreaterThan(0);
    expect(await provider.documents.erase('erased-doc-7f3a')).toBe(true);
    const after = await rowsNaming('erased-doc-7f3a');
    expect(Object.values(after).every((count) => count === 0)).toBe(true);
    expect(Object.keys(after)).toEqual(expect.arrayContaining(['sync_history_deltas', 'sync_history_snapshots']));
    expect((await rowsNaming('spared-doc-7f3a'))['sync_history_deltas']).toBeGreaterThan(0);
    await expect(provider.documents.getChangesAt('erased-doc-7f3a', { version: 1 })).rejects.toThrow(
      HistoryUnavailableError,
    );
  });

  it('the pruning removes kept rows past retention in batches, and those versions can no longer be read', async () => {
    const short = await database.createProvider({ schema: uniqueName('pruned'), historyRetentionMs: 100 });
    try {
      const { documents } = short;
      await documents.addDeltas('doc', [makeDelta('a1', 'a', 1), makeDelta('a2', 'a', 2)]);
      await documents.saveSnapshot('doc', new Uint8Array([1]), { a: 2 });
      await documents.compactDeltas('doc', { a: 2 });
      await documents.saveSnapshot('doc', new Uint8Array([2]), { a: 2 });
      await new Promise((resolve) => setTimeout(resolve, 250));
      const pruned = await (short as unknown as { pruneHistory(): Promise<number> }).pruneHistory();
      expect(pruned).toBe(3); // two deltas and one snapshot
      await expect(documents.getChangesAt('doc', { version: 1 })).rejects.toThrow(HistoryUnavailableError);
      expect((await documents.getChangesAt('doc', { version: 4 })).snapshot?.data).toEqual(new Uint8Array([2]));
    } finally {
      await short.close();
    }
  });

  it("the module's prune timer empties the history tables once their rows are past historyRetentionMs", async () => {
    const timed = uniqueName('timer');
    const app = await startNestApp(
      StorageModule.forRoot({
        driver: 'postgres',
        clientUrl: database.url,
        schema: timed,
        historyRetentionMs: 200,
        awarenessPruneIntervalMs: 50,
      }),
    );
    try {
      const documents = app.get<DocumentStore>(DOCUMENT_STORE);
      await documents.addDeltas('doc', [makeDelta('a1', 'a', 1), makeDelta('a2', 'a', 2)]);
      await documents.saveSnapshot('doc', new Uint8Array([1]), { a: 2 });
      await documents.compactDeltas('doc', { a: 2 });
      await documents.saveSnapshot('doc', new Uint8Array([2]), { a: 2 });
      const kept = async (): Promise<number> => {
        const [row] = await database.query<{ count: string }>(
          `select (select count(*) from "${timed}".sync_history_deltas) + (select count(*) from "${timed}".sync_history_snapshots) as count`,
        );
        return Number(row!.count);
      };
      expect(await kept()).toBe(3);
      await eventually(async () => (await kept()) === 0, 'the timer pruned the history');
    } finally {
      await app.close();
    }
  });
});
