import {
  StorageUnavailableError,
  type StorageHealth,
  type StorageProvider,
  type StoredDelta,
} from '../../src/index.js';
import { eventually, sleep } from '../fixtures/eventually.js';
import { lockTable, runSql, storageSessions } from '../support/sql.js';

/** A delta of its own for a probe write. */
export function probeDelta(id: string, counter = 1): StoredDelta {
  return { id, clientId: 'probe', timestamp: counter, data: counter, vectorClock: { probe: counter } };
}

/** What 200 calls on a frozen server came to once they settled or the bound passed. */
export interface FrozenCalls {
  /** Calls of each kind still waiting at the bound (a hang). */
  unsettled: Record<string, number>;
  resolved: number;
  otherErrors: string[];
  slowestMs: number;
}

/**
 * 200 calls while the server is frozen: reads, and writes ten deep on each of five documents (a busy
 * document has many writers at once). Each must give up on its own within `boundMs`; waiting for the
 * thaw is a hang.
 */
export async function callsAgainstFrozenServer(provider: StorageProvider, boundMs: number): Promise<FrozenCalls> {
  const result: FrozenCalls = { unsettled: {}, resolved: 0, otherErrors: [], slowestMs: 0 };
  const calls = Array.from({ length: 200 }, (_, index) => {
    const documentId = `frozen-${index % 5}`;
    const kind = ['addDelta', 'getDeltasSince', 'getVectorClock', 'getVectorClock'][index % 4]!;
    result.unsettled[kind] = (result.unsettled[kind] ?? 0) + 1;
    const call: Promise<unknown> =
      kind === 'addDelta'
        ? provider.documents.addDelta(documentId, probeDelta(`frozen-${index}`, index + 1))
        : kind === 'getDeltasSince'
          ? provider.documents.getDeltasSince(documentId, { probe: 1 })
          : provider.documents.getVectorClock(documentId);
    const started = performance.now();
    return call
      .then(
        () => void result.resolved++,
        (error: unknown) => {
          if (!(error instanceof StorageUnavailableError)) result.otherErrors.push(String(error));
        },
      )
      .finally(() => {
        result.unsettled[kind]!--;
        result.slowestMs = Math.max(result.slowestMs, performance.now() - started);
      });
  });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(calls), new Promise((resolve) => (timer = setTimeout(resolve, boundMs)))]);
  clearTimeout(timer);
  for (const kind of Object.keys(result.unsettled)) if (result.unsettled[kind] === 0) delete result.unsettled[kind];
  return result;
}

export type TimedHealth = StorageHealth & { tookMs: number };

/** Polls checkHealth until stopped, recording each answer and how long it took. */
export function watchHealth(provider: StorageProvider): { stop(): Promise<TimedHealth[]> } {
  const reports: TimedHealth[] = [];
  let polling = true;
  const loop = (async () => {
    while (polling) {
      const started = performance.now();
      const health = await provider.checkHealth();
      reports.push({ ...health, tookMs: performance.now() - started });
      await sleep(100);
    }
  })();
  return {
    async stop() {
      polling = false;
      await loop;
      return reports;
    },
  };
}

/**
 * Holds a lock every document write needs, sends `poolMax` writes, and waits until the server shows
 * that many of the provider's connections waiting on it at once: a slot lost to an earlier timeout
 * would leave one write waiting for a connection instead. Then releases the lock: every write succeeds.
 */
export async function expectEveryPoolSlotServes(
  url: string,
  provider: StorageProvider,
  poolMax: number,
  boundMs: number,
): Promise<void> {
  const lock = await lockTable(url, 'sync_documents');
  try {
    const burst = Promise.allSettled(
      Array.from({ length: poolMax }, (_, index) => provider.documents.addDelta(`burst-${index}`, probeDelta('b'))),
    );
    await eventually(
      async () => (await storageSessions(url, { waitingOnLock: true })) === poolMax,
      `${poolMax} writes hold the ${poolMax} pooled connections at once`,
      boundMs,
    );
    await lock.release();
    const results = await burst;
    expect(results.map((result) => (result.status === 'fulfilled' ? result.value : String(result.reason)))).toEqual(
      Array(poolMax).fill(true),
    );
  } finally {
    await lock.release();
  }
}

/** Ends every session of the database of `url` except the caller's own, as an administrator might; returns how many. */
export async function terminateSessions(url: string): Promise<number> {
  const rows = await runSql<{ terminated: boolean }>(
    url,
    `select pg_terminate_backend(pid) as terminated from pg_stat_activity
     where datname = current_database() and pid <> pg_backend_pid()`,
  );
  return rows.filter((row) => row.terminated).length;
}
