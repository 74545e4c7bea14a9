import { Test } from '@nestjs/testing';
import { StorageModule, StorageUnavailableError, type StorageProvider } from '../../src/index.js';
import { resolveStorageOptions, type StorageModuleOptions } from '../../src/storage/contract/options.js';
import { PostgresStorageProvider } from '../../src/storage/postgres/postgres-storage.provider.js';
import { eventually, sleep } from '../fixtures/eventually.js';
import { freePort, startPostgresServer, uniqueName, type PostgresServer } from '../support/postgres-server.js';
import { runSql } from '../support/sql.js';
import {
  callsAgainstFrozenServer,
  expectEveryPoolSlotServes,
  probeDelta,
  terminateSessions,
  watchHealth,
  type TimedHealth,
} from './fault-probes.js';
import { errorText, leakedSecrets } from './output-capture.js';
import { auditWrites, WriteTraffic, type WriteOutcome } from './write-traffic.js';

/** Short timeouts, so an outage costs seconds; every bound below is derived from them. */
const POOL_MAX = 4;
const TIMEOUTS = { connectMs: 1_000, acquireMs: 1_500, statementMs: 3_000, queryMs: 3_500, healthMs: 500 } as const;
/** Slack for a loaded 2-core machine; only a call that truly hangs exceeds the bound. */
const SLACK_MS = 5_000;
/** The longest a call may take while the server is down: waiting for a connection, then a transaction's worth of timed-out round trips. */
const CALL_BOUND_MS = TIMEOUTS.acquireMs + TIMEOUTS.connectMs + 2 * TIMEOUTS.queryMs + SLACK_MS;
const HEALTH_BOUND_MS = TIMEOUTS.healthMs + SLACK_MS;
const DOCUMENTS = ['fault-doc1', 'fault-doc10', 'fault-doc2'];

// A server of this file's own: these tests crash, stop, freeze and restart it.
let server: PostgresServer;
let databaseUrl: string;
let provider: StorageProvider;
const processFaults: string[] = [];
const recordUnhandled = (kind: string) => (error: unknown) => processFaults.push(`${kind}: ${String(error)}`);
const onRejection = recordUnhandled('unhandledRejection');
const onException = recordUnhandled('uncaughtException');
/** Traffic and health watchers of the running test: stopped after it even when it fails, so nothing outlives it. */
const running: Array<{ stop(): Promise<unknown> }> = [];

async function openProvider(options: Partial<StorageModuleOptions> = {}): Promise<StorageProvider> {
  const opened = new PostgresStorageProvider(
    resolveStorageOptions({
      driver: 'postgres',
      clientUrl: databaseUrl,
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
      ...options,
    }),
  );
  await opened.initialize();
  return opened;
}

beforeAll(async () => {
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  server = await startPostgresServer();
  await runSql(server.url(), 'create database faults');
  databaseUrl = server.url('faults');
  provider = await openProvider();
}, 120_000);

afterEach(async () => {
  server?.thaw();
  await server?.start();
  await Promise.all(running.splice(0).map((item) => item.stop()));
});

afterAll(async () => {
  await provider?.close();
  await server?.destroy();
  process.off('unhandledRejection', onRejection);
  process.off('uncaughtException', onException);
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

function startWatchingHealth(): { stop(): Promise<TimedHealth[]> } {
  const watcher = watchHealth(provider);
  running.push(watcher);
  return watcher;
}

/** What every outage test asserts of the health reports taken through it. */
function expectHealthReportedTheOutage(reports: readonly TimedHealth[]): void {
  expect(reports.some((health) => !health.healthy)).toBe(true);
  expect(Math.max(...reports.map((health) => health.tookMs))).toBeLessThan(HEALTH_BOUND_MS);
  expect(
    leakedSecrets(
      reports.map((health) => health.message ?? ''),
      [server.password],
    ),
  ).toEqual([]);
}

/** What every fault test asserts once the server is back. */
async function expectRecoveredWithNothingLost(traffic: WriteTraffic, fault: string): Promise<void> {
  // The same provider serves again: no restart, no reconnect call.
  const before = traffic.acknowledged();
  await eventually(() => traffic.acknowledged() > before + 10, `writes are acknowledged again after ${fault}`, 30_000);
  const outcomes = await traffic.stop();
  const { problems, deltasChecked } = await auditWrites(provider.documents, outcomes);
  expect(problems).toEqual([]);
  const failures = outcomes.filter((outcome) => outcome.status !== 'acknowledged');
  expect(failures.filter((outcome) => outcome.status === 'hung')).toEqual([]);
  expect(
    failures.filter((outcome) => outcome.status === 'other-error').map((outcome) => errorText(outcome.error)),
  ).toEqual([]);
  expect(
    leakedSecrets(
      failures.map((outcome) => errorText(outcome.error)),
      [server.password],
    ),
  ).toEqual([]);
  expect(Math.max(0, ...failures.map((outcome) => outcome.elapsedMs))).toBeLessThan(CALL_BOUND_MS);
  expect((await provider.checkHealth()).healthy).toBe(true);
  expect(processFaults).toEqual([]);
  report(fault, outcomes, deltasChecked);
}

function report(fault: string, outcomes: readonly WriteOutcome[], deltasChecked: number): void {
  if (process.env.RELIABILITY_REPORT !== '1') return;
  const count = (status: WriteOutcome['status']) => outcomes.filter((outcome) => outcome.status === status).length;
  const failures = outcomes.filter((outcome) => outcome.status !== 'acknowledged');
  const slowest = Math.max(0, ...failures.map((outcome) => outcome.elapsedMs));
  console.info(
    `${fault}: ${outcomes.length} writes (${count('acknowledged')} acknowledged, ${count('unavailable')} unavailable), ${deltasChecked} deltas checked, slowest rejection ${Math.round(slowest)} ms`,
  );
}

describe('the postgres driver under server faults, with writes in flight', () => {
  it.each<[string, string, (server: PostgresServer) => Promise<void>]>([
    ['killed with SIGKILL', 'k', (target) => target.kill()],
    ['shut down cleanly', 's', (target) => target.stop()],
  ])(
    'loses no acknowledged write when the server is %s and restarted, refuses calls meanwhile, and serves again without a restart',
    async (fault, prefix, bringDown) => {
      const traffic = startTraffic(prefix);
      await eventually(() => traffic.acknowledged() >= 30, 'traffic is flowing');
      const health = startWatchingHealth();
      await bringDown(server);
      // Calls made while the server is gone must fail, not wait.
      const whileDown = await provider.documents.getVectorClock(DOCUMENTS[0]!).then(
        () => 'resolved',
        (error: unknown) => error,
      );
      expect(whileDown).toBeInstanceOf(StorageUnavailableError);
      expect((whileDown as Error).message).toMatch(/unavailable/);
      await eventually(
        () => traffic.outcomes.some((outcome) => outcome.status === 'unavailable'),
        'writes are refused during the outage',
      );
      await sleep(500);
      await server.start();
      await eventually(async () => (await provider.checkHealth()).healthy, 'health comes back up', 30_000);
      expectHealthReportedTheOutage(await health.stop());
      await expectRecoveredWithNothingLost(traffic, fault);
    },
    120_000,
  );

  it('rejects calls within the timeouts while the server is frozen (SIGSTOP), recovers on SIGCONT, and loses no pool slot to 200 timed-out calls', async () => {
    const traffic = startTraffic('f');
    await eventually(() => traffic.acknowledged() >= 30, 'traffic is flowing');
    const health = startWatchingHealth();
    server.freeze();
    let frozen: Awaited<ReturnType<typeof callsAgainstFrozenServer>>;
    try {
      frozen = await callsAgainstFrozenServer(provider, CALL_BOUND_MS);
      await eventually(
        () => traffic.outcomes.some((outcome) => outcome.status !== 'acknowledged'),
        'traffic writes fail while frozen',
        CALL_BOUND_MS,
      );
    } finally {
      server.thaw();
    }
    // None may still be waiting for the thaw, and every one gave up as unavailable.
    const { unsettled, resolved, otherErrors, slowestMs } = frozen;
    expect({ unsettled, resolved, otherErrors }).toEqual({ unsettled: {}, resolved: 0, otherErrors: [] });
    expect(slowestMs).toBeLessThan(CALL_BOUND_MS);
    await eventually(async () => (await provider.checkHealth()).healthy, 'health comes back up', 30_000);
    expectHealthReportedTheOutage(await health.stop());
    await expectRecoveredWithNothingLost(traffic, 'SIGSTOP/SIGCONT');
    await expectEveryPoolSlotServes(databaseUrl, provider, POOL_MAX, TIMEOUTS.statementMs);
    if (process.env.RELIABILITY_REPORT === '1')
      console.info(`200 calls on a frozen server: all rejected, slowest ${Math.round(slowestMs)} ms`);
  }, 120_000);

  it('recovers when its connections are terminated from the server side (pg_terminate_backend), losing no acknowledged write', async () => {
    const traffic = startTraffic('t');
    await eventually(() => traffic.acknowledged() >= 30, 'traffic is flowing');
    let terminated = 0;
    for (let round = 0; round < 3; round++) {
      terminated += await terminateSessions(databaseUrl);
      await sleep(300);
    }
    expect(terminated).toBeGreaterThan(0);
    await expectRecoveredWithNothingLost(traffic, 'pg_terminate_backend');
    if (process.env.RELIABILITY_REPORT === '1')
      console.info(`pg_terminate_backend: ${terminated} backends terminated in 3 rounds`);
  }, 120_000);
});

describe('the postgres driver facing a server that hangs or is not there', () => {
  it('reports a frozen server down within its health timeout with a fixed message, and a pool of one gets its connection back', async () => {
    const single = await openProvider({ schema: uniqueName('single'), pool: { max: 1 }, healthCheckTimeoutMs: 300 });
    try {
      await single.documents.addDelta('doc', probeDelta('before', 1));
      server.freeze();
      try {
        // The server stays frozen throughout, so every answer here came from the timeout.
        for (let check = 0; check < 3; check++)
          expect(await single.checkHealth()).toEqual({
            healthy: false,
            driver: 'postgres',
            latencyMs: expect.any(Number),
            message: 'storage health check timed out',
          });
      } finally {
        server.thaw();
      }
      // With one pooled connection, a slot kept by a timed-out check would starve this call.
      expect(await single.documents.addDelta('doc', probeDelta('after', 2))).toBe(true);
      expect((await single.checkHealth()).healthy).toBe(true);
    } finally {
      await single.close();
    }
  }, 60_000);

  it('fails start-up on an unreachable server with a StorageUnavailableError naming host and port, not the password', async () => {
    const port = await freePort();
    const clientUrl = `postgresql://app:${server.password}@127.0.0.1:${port}/sync`;
    const unreachable = new PostgresStorageProvider(resolveStorageOptions({ driver: 'postgres', clientUrl }));
    const error = await unreachable.initialize().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(StorageUnavailableError);
    expect((error as Error).message).toBe(`PostgreSQL at 127.0.0.1:${port}/sync is unavailable: connection refused`);
    expect(leakedSecrets([errorText(error)], [server.password])).toEqual([]);
    expect((await unreachable.checkHealth()).healthy).toBe(false);
    await unreachable.close();
    await expect(
      Test.createTestingModule({ imports: [StorageModule.forRoot({ driver: 'postgres', clientUrl })] }).compile(),
    ).rejects.toBeInstanceOf(StorageUnavailableError);
  });
});
