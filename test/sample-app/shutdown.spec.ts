import type { StoredDelta } from '../../src/index.js';
import { eventually } from '../fixtures/eventually.js';
import { startSampleApp } from '../support/built-package.js';
import { PROCESS_BOUND_MS, exitOf } from '../support/node-process.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { lockTable, storageSessions } from '../support/sql.js';

const SCHEMA = 'shutdown';
/**
 * Writes held in flight at the signal: fewer than the pool's 10 connections, and one per document,
 * since writes to one document queue behind each other inside the driver.
 */
const IN_FLIGHT = 6;
const documentOf = (counter: number): string => `shutdown-doc-${counter % IN_FLIGHT}`;

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
}, 120_000);

afterAll(async () => {
  await database?.drop();
});

const startApp = () =>
  startSampleApp({ STORAGE_DRIVER: 'postgres', DATABASE_URL: database.url, DATABASE_SCHEMA: SCHEMA });

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

describe('the sync app (postgres driver) on SIGTERM', () => {
  it('stops taking work, finishes the writes in flight, closes storage and exits 0, losing nothing it acknowledged', async () => {
    const first = await startApp();
    const acknowledged: number[] = [];
    for (let counter = 1; counter <= 20; counter++) {
      const outcome = await postDelta(first.baseUrl, counter);
      expect(outcome).toEqual({ status: 200, body: { stored: true } });
      acknowledged.push(counter);
    }

    // A lock every delta write needs keeps the next writes in flight, provably inside the app and the database.
    const locker = await lockTable(database.url, `${SCHEMA}.sync_documents`);
    let inFlight: Promise<Awaited<ReturnType<typeof postDelta>>[]>;
    let refusedWhileDraining: string | undefined;
    try {
      inFlight = Promise.all(Array.from({ length: IN_FLIGHT }, (_, index) => postDelta(first.baseUrl, 21 + index)));
      await eventually(
        async () => (await storageSessions(database.url, { waitingOnLock: true })) === IN_FLIGHT,
        `${IN_FLIGHT} writes wait on the lock`,
        PROCESS_BOUND_MS,
      );
      first.process.child.kill('SIGTERM');
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
      expect(first.process.child.exitCode).toBeNull();
    } finally {
      await locker.release();
    }
    const drained = await inFlight;
    expect(drained).toEqual(Array(IN_FLIGHT).fill({ status: 200, body: { stored: true } }));
    acknowledged.push(...drained.map((_, index) => 21 + index));
    expect(refusedWhileDraining).toMatch(/ECONNREFUSED|ECONNRESET/);
    expect(await exitOf(first.process)).toEqual({ code: 0, signal: null });
    // The pool was closed on the way out: none of the app's connections is left on the server.
    await eventually(
      async () => (await storageSessions(database.url)) === 0,
      'the app holds no connection after exiting',
    );

    // A restarted app serves every acknowledged write, and none it refused.
    const second = await startApp();
    try {
      const stored: number[] = [];
      for (let index = 0; index < IN_FLIGHT; index++) {
        const response = await fetch(`${second.baseUrl}/documents/${documentOf(index)}/deltas`);
        stored.push(...((await response.json()) as { deltas: StoredDelta[] }).deltas.map((item) => item.timestamp));
      }
      expect(stored.sort((a, b) => a - b)).toEqual(acknowledged);
    } finally {
      expect(await second.stop()).toEqual({ code: 0, signal: null });
    }
  }, 180_000);
});
