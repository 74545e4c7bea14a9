import type { StoredDelta } from '../../src/index.js';
import { eventually } from '../fixtures/eventually.js';
import { freePort } from '../fixtures/free-port.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { buildPackage, exitOf, runNode, type BuiltPackage, type NodeProcess } from '../support/built-package.js';

const SCHEMA = 'shutdown';
/** Bound for the app to start or stop on a busy machine; only a broken app reaches it. */
const PROCESS_BOUND_MS = 60_000;
/**
 * Writes held in flight at the signal: fewer than the pool's 10 connections, and one per document,
 * since writes to one document queue behind each other inside the driver.
 */
const IN_FLIGHT = 6;
const documentOf = (counter: number): string => `shutdown-doc-${counter % IN_FLIGHT}`;

let built: BuiltPackage;
let database: TestDatabase;
/** Apps this file started; a failing test must not leave one running. */
const running: NodeProcess[] = [];

beforeAll(async () => {
  built = buildPackage();
  database = await createTestDatabase();
}, 120_000);

afterAll(async () => {
  for (const app of running)
    if (app.child.exitCode === null && app.child.signalCode === null) app.child.kill('SIGKILL');
  await database?.drop();
  built?.remove();
});

async function startApp(): Promise<{ app: NodeProcess; baseUrl: string }> {
  const port = await freePort();
  const app = runNode(
    built.mainScript,
    { PORT: String(port), STORAGE_DRIVER: 'postgres', DATABASE_URL: database.url, DATABASE_SCHEMA: SCHEMA },
    built.dir,
  );
  const baseUrl = `http://127.0.0.1:${port}`;
  await eventually(
    async () => {
      if (app.child.exitCode !== null) throw new Error(`the app exited while starting:\n${app.output()}`);
      return (await fetch(`${baseUrl}/health`).catch(() => undefined))?.status === 200;
    },
    'the app answers /health',
    PROCESS_BOUND_MS,
  );
  return { app, baseUrl };
}

function delta(counter: number): StoredDelta {
  return {
    id: `s-${counter}`,
    clientId: 'shutdown-client',
    timestamp: counter,
    data: { counter },
    vectorClock: { 'shutdown-client': counter },
  };
}

async function postDelta(
  baseUrl: string,
  counter: number,
): Promise<{ status: number; body: unknown } | { error: string }> {
  try {
    const response = await fetch(`${baseUrl}/documents/${documentOf(counter)}/deltas`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', connection: 'close' },
      body: JSON.stringify(delta(counter)),
    });
    return { status: response.status, body: await response.json() };
  } catch (error) {
    return { error: String((error as { cause?: unknown }).cause ?? error) };
  }
}

async function appBackendsWaitingOnLocks(): Promise<number> {
  const [row] = await database.query<{ waiting: string }>(
    `select count(*) as waiting from pg_stat_activity where datname = current_database() and application_name = 'nest-sync-storage' and wait_event_type = 'Lock'`,
  );
  return Number(row!.waiting);
}

describe('the sync app (postgres driver) on SIGTERM', () => {
  it('stops taking work, finishes the writes in flight, closes storage and exits 0, losing nothing it acknowledged', async () => {
    const first = await startApp();
    running.push(first.app);
    const acknowledged: number[] = [];
    for (let counter = 1; counter <= 20; counter++) {
      const outcome = await postDelta(first.baseUrl, counter);
      expect(outcome).toEqual({ status: 200, body: { stored: true } });
      acknowledged.push(counter);
    }

    // A lock every delta write needs keeps the next writes in flight, provably inside the app and the database.
    const locker = await holdDocumentsLock();
    let inFlight: Promise<Awaited<ReturnType<typeof postDelta>>[]>;
    let refusedWhileDraining: string | undefined;
    try {
      inFlight = Promise.all(Array.from({ length: IN_FLIGHT }, (_, index) => postDelta(first.baseUrl, 21 + index)));
      await eventually(
        async () => (await appBackendsWaitingOnLocks()) === IN_FLIGHT,
        `${IN_FLIGHT} writes wait on the lock`,
        PROCESS_BOUND_MS,
      );
      first.app.child.kill('SIGTERM');
      // Stopping takes effect while the writes are still held: new requests are refused, the process still runs.
      // (The probe is a read, so one that slips in before the refusal changes nothing.)
      await eventually(
        async () => {
          refusedWhileDraining = await fetch(`${first.baseUrl}/health`, { headers: { connection: 'close' } }).then(
            () => undefined,
            (error: unknown) => String((error as { cause?: unknown }).cause ?? error),
          );
          return refusedWhileDraining !== undefined;
        },
        'a new request is refused after SIGTERM',
        PROCESS_BOUND_MS,
      );
      expect(first.app.child.exitCode).toBeNull();
    } finally {
      await locker.release();
    }
    const drained = await inFlight;
    expect(drained).toEqual(Array(IN_FLIGHT).fill({ status: 200, body: { stored: true } }));
    acknowledged.push(...drained.map((_, index) => 21 + index));
    expect(refusedWhileDraining).toMatch(/ECONNREFUSED|ECONNRESET/);
    expect(await exitOf(first.app, PROCESS_BOUND_MS)).toEqual({ code: 0, signal: null });
    // The pool was closed on the way out: none of the app's connections is left on the server.
    await eventually(async () => {
      const [row] = await database.query<{ open: string }>(
        `select count(*) as open from pg_stat_activity where datname = current_database() and application_name = 'nest-sync-storage'`,
      );
      return Number(row!.open) === 0;
    }, 'the app holds no connection after exiting');

    // A restarted app serves every acknowledged write, and none it refused.
    const second = await startApp();
    running.push(second.app);
    try {
      const stored: number[] = [];
      for (let index = 0; index < IN_FLIGHT; index++) {
        const response = await fetch(`${second.baseUrl}/documents/${documentOf(index)}/deltas`);
        stored.push(...((await response.json()) as StoredDelta[]).map((item) => item.timestamp));
      }
      expect(stored.sort((a, b) => a - b)).toEqual(acknowledged);
    } finally {
      second.app.child.kill('SIGTERM');
      expect(await exitOf(second.app, PROCESS_BOUND_MS)).toEqual({ code: 0, signal: null });
    }
  }, 180_000);
});

/** Holds `lock table ... in exclusive mode` on the documents table in an open transaction until released. */
async function holdDocumentsLock(): Promise<{ release(): Promise<void> }> {
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: database.url });
  client.on('error', () => undefined);
  await client.connect();
  await client.query('begin');
  await client.query(`lock table ${SCHEMA}.sync_documents in exclusive mode`);
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      await client.query('commit').catch(() => undefined);
      await client.end();
    },
  };
}
