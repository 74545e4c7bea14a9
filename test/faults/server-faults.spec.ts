import pg from 'pg';
import { StorageUnavailableError, type StorageHealth, type StorageProvider } from '../../src/index.js';
import { resolveStorageOptions } from '../../src/storage/contract/options.js';
import { PostgresStorageProvider } from '../../src/storage/postgres/postgres-storage.provider.js';
import { eventually } from '../fixtures/eventually.js';
import { startFaultServer, type FaultServer } from './support/fault-server.js';
import { auditWrites, sleep, WriteTraffic, type WriteOutcome } from './write-traffic.js';

/** Short timeouts, so an outage costs seconds; every bound below is derived from them. */
const POOL_MAX = 4;
const TIMEOUTS = { connectMs: 1_000, acquireMs: 1_500, statementMs: 3_000, queryMs: 3_500, healthMs: 500 } as const;
/** Slack for a loaded 2-core machine; only a call that truly hangs exceeds the bound. */
const SLACK_MS = 5_000;
/** The longest a call may take while the server is down: waiting for a connection, then a transaction's worth of timed-out round trips. */
const CALL_BOUND_MS = TIMEOUTS.acquireMs + TIMEOUTS.connectMs + 2 * TIMEOUTS.queryMs + SLACK_MS;
const HEALTH_BOUND_MS = TIMEOUTS.healthMs + SLACK_MS;
const DOCUMENTS = ['fault-doc1', 'fault-doc10', 'fault-doc2'];

let server: FaultServer;
let provider: StorageProvider;
const processFaults: string[] = [];
const recordUnhandled = (kind: string) => (error: unknown) => processFaults.push(`${kind}: ${String(error)}`);
const onRejection = recordUnhandled('unhandledRejection');
const onException = recordUnhandled('uncaughtException');

async function superuser<Row extends pg.QueryResultRow>(sql: string, values: unknown[] = []): Promise<Row[]> {
  const client = new pg.Client({ connectionString: server.url() });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query<Row>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  server = await startFaultServer();
  await superuser('create database faults');
  provider = new PostgresStorageProvider(
    resolveStorageOptions({
      driver: 'postgres',
      clientUrl: server.url('faults'),
      pool: { min: 0, max: POOL_MAX },
      healthCheckTimeoutMs: TIMEOUTS.healthMs,
      mikroOrm: {
        pool: { acquireTimeoutMillis: TIMEOUTS.acquireMs, createTimeoutMillis: TIMEOUTS.connectMs },
        driverOptions: {
          connection: {
            connectionTimeoutMillis: TIMEOUTS.connectMs,
            statement_timeout: TIMEOUTS.statementMs,
            query_timeout: TIMEOUTS.queryMs,
          },
        },
      },
    }),
  );
  await provider.initialize();
}, 120_000);

afterAll(async () => {
  await provider?.close();
  server?.thaw();
  await server?.destroy();
  process.off('unhandledRejection', onRejection);
  process.off('uncaughtException', onException);
});

/**
 * 200 calls while the server is frozen: reads, and writes ten deep on each of five documents (a busy
 * document has many writers at once). Each must give up on its own within the bound; waiting for
 * the thaw is a hang. Resolves once all settled or the bound passed.
 */
async function callsAgainstFrozenServer(): Promise<{
  unsettled: Record<string, number>;
  resolved: number;
  otherErrors: string[];
  slowestMs: number;
}> {
  let slowestMs = 0;
  let resolved = 0;
  const unsettled: Record<string, number> = {};
  const otherErrors: string[] = [];
  const calls = Array.from({ length: 200 }, (_, index) => {
    const documentId = `frozen-${index % 5}`;
    const kind = ['addDelta', 'getDeltasSince', 'getVectorClock', 'getVectorClock'][index % 4]!;
    unsettled[kind] = (unsettled[kind] ?? 0) + 1;
    const call =
      index % 4 === 0
        ? provider.documents.addDelta(documentId, {
            id: `frozen-${index}`,
            clientId: 'z',
            timestamp: 1,
            data: index,
            vectorClock: { z: index + 1 },
          })
        : index % 4 === 1
          ? provider.documents.getDeltasSince(documentId, { z: 1 })
          : provider.documents.getVectorClock(documentId);
    const started = performance.now();
    return (call as Promise<unknown>)
      .then(
        () => {
          resolved++;
        },
        (error: unknown) => {
          if (!(error instanceof StorageUnavailableError)) otherErrors.push(String(error));
        },
      )
      .finally(() => {
        unsettled[kind]!--;
        slowestMs = Math.max(slowestMs, performance.now() - started);
      });
  });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(calls), new Promise((resolve) => (timer = setTimeout(resolve, CALL_BOUND_MS)))]);
  clearTimeout(timer);
  for (const kind of Object.keys(unsettled)) if (unsettled[kind] === 0) delete unsettled[kind];
  return { unsettled, resolved, otherErrors, slowestMs };
}

/** Polls checkHealth until stopped, recording each answer and how long it took. */
/** Traffic and health watchers of the running test: stopped after it even when it fails, so nothing outlives it. */
const running: Array<{ stop(): Promise<unknown> }> = [];
afterEach(async () => {
  server?.thaw();
  await server?.start();
  await Promise.all(running.splice(0).map((item) => item.stop()));
});

function startTraffic(prefix: string): WriteTraffic {
  const traffic = new WriteTraffic(
    provider.documents,
    { documentIds: DOCUMENTS, writers: 4, hangBoundMs: CALL_BOUND_MS },
    prefix,
  );
  running.push(traffic);
  return traffic;
}

function watchHealth(): { stop(): Promise<Array<StorageHealth & { tookMs: number }>> } {
  const reports: Array<StorageHealth & { tookMs: number }> = [];
  let polling = true;
  const loop = (async () => {
    while (polling) {
      const started = performance.now();
      const health = await provider.checkHealth();
      reports.push({ ...health, tookMs: performance.now() - started });
      await sleep(100);
    }
  })();
  const watcher = {
    async stop() {
      polling = false;
      await loop;
      return reports;
    },
  };
  running.push(watcher);
  return watcher;
}

/** What every fault test asserts once the server is back. */
async function expectRecoveredWithNothingLost(
  traffic: WriteTraffic,
  fault: string,
): Promise<{ outcomes: WriteOutcome[]; deltasChecked: number }> {
  // The same provider serves again: no restart, no reconnect call.
  const before = traffic.acknowledged();
  await eventually(() => traffic.acknowledged() > before + 10, `writes are acknowledged again after ${fault}`, 30_000);
  const outcomes = await traffic.stop();
  const { problems, deltasChecked } = await auditWrites(provider.documents, outcomes);
  expect(problems).toEqual([]);
  const failures = outcomes.filter((outcome) => outcome.status !== 'acknowledged');
  expect(failures.filter((outcome) => outcome.status === 'hung')).toEqual([]);
  expect(
    failures.filter((outcome) => outcome.status === 'other-error').map((outcome) => String(outcome.error)),
  ).toEqual([]);
  expect(Math.max(0, ...failures.map((outcome) => outcome.elapsedMs))).toBeLessThan(CALL_BOUND_MS);
  expect((await provider.checkHealth()).healthy).toBe(true);
  expect(processFaults).toEqual([]);
  report(fault, outcomes, deltasChecked);
  return { outcomes, deltasChecked };
}

function report(fault: string, outcomes: readonly WriteOutcome[], deltasChecked: number): void {
  if (process.env.RELIABILITY_REPORT !== '1') return;
  const count = (status: WriteOutcome['status']) => outcomes.filter((outcome) => outcome.status === status).length;
  const slowest = Math.max(
    0,
    ...outcomes.filter((outcome) => outcome.status !== 'acknowledged').map((outcome) => outcome.elapsedMs),
  );
  console.info(
    `${fault}: ${outcomes.length} writes (${count('acknowledged')} acknowledged, ${count('unavailable')} unavailable), ${deltasChecked} deltas checked, slowest rejection ${Math.round(slowest)} ms`,
  );
}

describe('the postgres driver under server faults, with writes in flight', () => {
  it('loses no acknowledged write when the server is killed with SIGKILL and restarted, and serves again without a restart', async () => {
    const traffic = startTraffic('w');
    await eventually(() => traffic.acknowledged() >= 30, 'traffic is flowing');
    const health = watchHealth();
    await server.kill();
    // Calls made while the server is gone must fail, not wait.
    const whileDown = await provider.documents.getVectorClock(DOCUMENTS[0]!).then(
      () => 'resolved',
      (error: unknown) => error,
    );
    expect(whileDown).toBeInstanceOf(StorageUnavailableError);
    await eventually(
      () => traffic.outcomes.some((outcome) => outcome.status === 'unavailable'),
      'writes are refused during the outage',
    );
    await sleep(500);
    await server.start();
    await eventually(async () => (await provider.checkHealth()).healthy, 'health comes back up', 30_000);
    const reports = await health.stop();
    expect(reports.some((health) => !health.healthy)).toBe(true);
    expect(Math.max(...reports.map((health) => health.tookMs))).toBeLessThan(HEALTH_BOUND_MS);
    await expectRecoveredWithNothingLost(traffic, 'SIGKILL');
  }, 120_000);

  it('rejects calls within the timeouts while the server is frozen (SIGSTOP), recovers on SIGCONT, and loses no pool slot to 200 timed-out calls', async () => {
    const traffic = startTraffic('f');
    await eventually(() => traffic.acknowledged() >= 30, 'traffic is flowing');
    const health = watchHealth();
    server.freeze();
    let outcomes: Awaited<ReturnType<typeof callsAgainstFrozenServer>>;
    try {
      outcomes = await callsAgainstFrozenServer();
      await eventually(
        () => traffic.outcomes.some((outcome) => outcome.status !== 'acknowledged'),
        'traffic writes fail while frozen',
        CALL_BOUND_MS,
      );
    } finally {
      server.thaw();
    }
    // None may still be waiting for the thaw, and every one gave up as unavailable.
    expect({ unsettled: outcomes.unsettled, resolved: outcomes.resolved, otherErrors: outcomes.otherErrors }).toEqual({
      unsettled: {},
      resolved: 0,
      otherErrors: [],
    });
    expect(outcomes.slowestMs).toBeLessThan(CALL_BOUND_MS);
    await eventually(async () => (await provider.checkHealth()).healthy, 'health comes back up', 30_000);
    const reports = await health.stop();
    expect(reports.some((health) => !health.healthy)).toBe(true);
    expect(Math.max(...reports.map((health) => health.tookMs))).toBeLessThan(HEALTH_BOUND_MS);
    await expectRecoveredWithNothingLost(traffic, 'SIGSTOP/SIGCONT');
    await expectEveryPoolSlotServes();
    if (process.env.RELIABILITY_REPORT === '1')
      console.info(`200 calls on a frozen server: all rejected, slowest ${Math.round(outcomes.slowestMs)} ms`);
  }, 120_000);

  it('recovers when its connections are terminated from the server side (pg_terminate_backend), losing no acknowledged write', async () => {
    const traffic = startTraffic('t');
    await eventually(() => traffic.acknowledged() >= 30, 'traffic is flowing');
    let terminated = 0;
    for (let round = 0; round < 3; round++) {
      const rows = await superuser<{ pg_terminate_backend: boolean }>(
        `select pg_terminate_backend(pid) from pg_stat_activity where datname = 'faults' and pid <> pg_backend_pid()`,
      );
      terminated += rows.filter((row) => row.pg_terminate_backend).length;
      await sleep(300);
    }
    expect(terminated).toBeGreaterThan(0);
    await expectRecoveredWithNothingLost(traffic, 'pg_terminate_backend');
    if (process.env.RELIABILITY_REPORT === '1')
      console.info(`pg_terminate_backend: ${terminated} backends terminated in 3 rounds`);
  }, 120_000);
});

/**
 * Holds a lock every document write needs, sends POOL_MAX writes, and waits until the server shows
 * POOL_MAX of this pool's connections waiting on it at once: a slot lost to an earlier timeout would
 * leave one write waiting for a connection instead. Then releases the lock: every write succeeds.
 */
async function expectEveryPoolSlotServes(): Promise<void> {
  const locker = new pg.Client({ connectionString: server.url('faults') });
  locker.on('error', () => undefined);
  await locker.connect();
  try {
    await locker.query('begin');
    await locker.query('lock table sync_documents in exclusive mode');
    const burst = Promise.allSettled(
      Array.from({ length: POOL_MAX }, (_, index) =>
        provider.documents.addDelta(`burst-${index}`, {
          id: 'b',
          clientId: 'burst',
          timestamp: 1,
          data: index,
          vectorClock: { burst: 1 },
        }),
      ),
    );
    await eventually(
      async () => {
        const [row] = await superuser<{ waiting: string }>(
          `select count(*) as waiting from pg_stat_activity where datname = 'faults' and application_name = 'nest-sync-storage' and wait_event_type = 'Lock'`,
        );
        return Number(row!.waiting) === POOL_MAX;
      },
      `${POOL_MAX} writes hold the ${POOL_MAX} pooled connections at once`,
      TIMEOUTS.statementMs,
    );
    await locker.query('commit');
    const results = await burst;
    expect(results.map((result) => (result.status === 'fulfilled' ? result.value : String(result.reason)))).toEqual(
      Array(POOL_MAX).fill(true),
    );
  } finally {
    await locker.query('rollback').catch(() => undefined);
    await locker.end();
  }
}
