import pg from 'pg';
import { StorageError, type StorageProvider } from '../../src/index.js';
import { recordChanges } from '../conformance/change-recorder.js';
import { makeDelta } from '../conformance/conformance-helpers.js';
import { startPgBouncer, type PgBouncer } from '../support/pgbouncer.js';
import { createTestDatabase, uniqueName, type TestDatabase } from '../support/postgres.js';

// The postgres driver behind a real PgBouncer 1.18+ in transaction pooling mode with its default settings
// (the way managed PostgreSQL offers put a pooler in front): it refuses unknown startup parameters, hands
// a server connection to another client after each transaction, and cannot carry LISTEN.

let database: TestDatabase;
let bouncer: PgBouncer;
/** The test database, through PgBouncer. */
let pooledUrl: string;

beforeAll(async () => {
  database = await createTestDatabase();
  bouncer = await startPgBouncer(database.url);
  pooledUrl = bouncer.through(database.url);
});

afterAll(async () => {
  await database?.drop();
  await bouncer?.stop();
});

/** Advisory locks held anywhere on the server (a migration lock left on a pooled connection would show here). */
const advisoryLocks = async (): Promise<number> =>
  Number((await database.query<{ n: string }>(`select count(*) as n from pg_locks where locktype = 'advisory'`))[0]!.n);

describe('the postgres driver behind PgBouncer in transaction mode', () => {
  const schema = uniqueName('pooled');
  let first: StorageProvider;
  let second: StorageProvider;

  it('is a transaction pooler indeed: server connections change hands between transactions, unknown startup parameters are refused', async () => {
    const client = new pg.Client({ connectionString: pooledUrl });
    await client.connect();
    try {
      // Two clients, so PgBouncer has two server connections to hand out.
      const other = new pg.Client({ connectionString: pooledUrl });
      await other.connect();
      await Promise.all([client.query('begin'), other.query('begin')]);
      const [a, b] = await Promise.all([
        client.query<{ pid: number }>('select pg_backend_pid() as pid'),
        other.query<{ pid: number }>('select pg_backend_pid() as pid'),
      ]);
      await Promise.all([client.query('commit'), other.query('commit')]);
      await other.query('select 1');
      expect(a.rows[0]!.pid).not.toBe(b.rows[0]!.pid);
      // The server connection `client` used last went back to the pool: `other` may have it now.
      const after = await other.query<{ pid: number }>('select pg_backend_pid() as pid');
      expect([a.rows[0]!.pid, b.rows[0]!.pid]).toContain(after.rows[0]!.pid);
      await other.end();
    } finally {
      await client.end();
    }
    // PgBouncer refuses a startup parameter it does not know, as the driver used to send.
    const refused = new pg.Client({ connectionString: pooledUrl, statement_timeout: 1000 });
    await expect(refused.connect()).rejects.toThrow(/unsupported startup parameter/);
  });

  it('starts two providers through it at once, both migrating the same schema, and leaves no lock held', async () => {
    [first, second] = await Promise.all([
      database.createProvider({ clientUrl: pooledUrl, schema }),
      database.createProvider({ clientUrl: pooledUrl, schema }),
    ]);
    const applied = await database.query<{ name: string }>(`select name from "${schema}".sync_storage_migrations`);
    expect(applied.length).toBeGreaterThan(0);
    expect(new Set(applied.map((row) => row.name)).size).toBe(applied.length);
    expect(await advisoryLocks()).toBe(0);
  });

  it('stores on one and catches up on the other: deltas, batches and conflicts', async () => {
    expect(await first.documents.addDelta('doc', makeDelta('a1', 'a', 1))).toBe(true);
    expect(await second.documents.addDelta('doc', makeDelta('a1', 'a', 1))).toBe(false);
    expect(await second.documents.addDeltas('doc', [makeDelta('b1', 'b', 1), makeDelta('b2', 'b', 2)])).toBe(2);
    expect((await first.documents.getDeltasSince('doc', { a: 1 })).map((delta) => delta.id)).toEqual(['b1', 'b2']);
    const page = await second.documents.getDeltasPage('doc', null, { limit: 2 });
    expect(page.deltas.map((delta) => delta.id)).toEqual(['a1', 'b1']);
    expect(await first.documents.getVectorClock('doc')).toEqual({ a: 1, b: 2 });
  });

  it('keeps snapshots and compacts through it', async () => {
    await first.documents.saveSnapshot('doc', new Uint8Array([1, 2, 3]), { a: 1, b: 1 });
    expect(await second.documents.compactDeltas('doc', { a: 1, b: 2 })).toBe(2);
    const changes = await second.documents.getChangesSince('doc', {});
    expect(changes.snapshot?.data).toEqual(new Uint8Array([1, 2, 3]));
    expect(changes.deltas.map((delta) => delta.id)).toEqual(['b2']);
  });

  it('keeps awareness through it', async () => {
    expect(await first.awareness.set('doc', 'alice', { cursor: 1 }, 1, { connectionId: 'c1' })).toBe(true);
    expect(await second.awareness.set('doc', 'alice', { cursor: 0 }, 1)).toBe(false);
    expect((await second.awareness.getAll('doc')).map((entry) => entry.state)).toEqual([{ cursor: 1 }]);
    expect(await second.awareness.removeAllForConnection('c1')).toBe(1);
  });

  it('reports healthy through it', async () => {
    expect(await first.checkHealth()).toMatchObject({ healthy: true, driver: 'postgres' });
  });

  it('lets a provider started directly on PostgreSQL afterwards take the migration lock at once', async () => {
    // With a statement timeout of 2 s, a lock left held on a pooled server connection would fail this start.
    const direct = await database.createProvider({
      schema,
      mikroOrm: { driverOptions: { connection: { statement_timeout: 2_000 } } },
    });
    expect(await direct.documents.getVectorClock('doc')).toEqual({ a: 1, b: 2 });
  });

  it('fails the change feed at start-up, naming listenUrl, when it would LISTEN through the pooler', async () => {
    const error = await new Promise<unknown>((resolve) => {
      first.changes('doc').subscribe({ error: resolve, complete: () => resolve('completed') });
    });
    expect(error).toBeInstanceOf(StorageError);
    expect((error as Error).message).toMatch(/transaction pooler/);
    expect((error as Error).message).toContain('options.listenUrl');
    expect((error as Error).message).not.toContain(database.password);
    // The stores go on working.
    expect(await first.documents.addDelta('doc', makeDelta('a2', 'a', 2))).toBe(true);
  });

  it("hears every instance's writes through listenUrl, a direct connection, while its statements go through the pooler", async () => {
    const listening = await database.createProvider({ clientUrl: pooledUrl, listenUrl: database.url, schema });
    const recorder = recordChanges(listening, 'fed');
    await listening.documents.addDelta('fed', makeDelta('l1', 'l', 1));
    await second.documents.addDelta('fed', makeDelta('r1', 'r', 1));
    expect(await recorder.received(2)).toEqual([
      { documentId: 'fed', kind: 'deltas', deltaIds: ['l1'], source: 'local' },
      { documentId: 'fed', kind: 'deltas', deltaIds: ['r1'], source: 'remote' },
    ]);
    recorder.stop();
  });
});
