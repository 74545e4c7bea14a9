import { randomBytes } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import {
  STORAGE_PROVIDER,
  StorageModule,
  StorageUnavailableError,
  type StorageModuleOptions,
  type StorageProvider,
} from '../../src/index.js';
import { eventually } from '../fixtures/eventually.js';
import { startSampleAppInProcess } from '../sample-app/sample-app.js';
import { listenLocally } from '../support/nest-app.js';
import { freePort, startPostgresServer, type PostgresServer } from '../support/postgres-server.js';
import { runSql } from '../support/sql.js';
import { CapturingLogger, captureProcessOutput, errorText, leakedSecrets } from './output-capture.js';

const ROLE = 'sync_app';
const appPassword = `pw-${randomBytes(9).toString('hex')}`;
const wrongPassword = `wrong-${randomBytes(9).toString('hex')}`;
const rotatedPassword = `rotated-${randomBytes(9).toString('hex')}`;

let server: PostgresServer;
let appUrl: string;

const asSuperuser = (sql: string) => runSql(server.url(), sql);

/** Every secret of this file: the passwords and each connection string that carries one. */
function secrets(): string[] {
  const urls = [appUrl, server.url(), appUrl.replace(appPassword, wrongPassword)];
  return [appPassword, wrongPassword, rotatedPassword, server.password, ...urls, ...urls.map(encodeURIComponent)];
}

beforeAll(async () => {
  server = await startPostgresServer();
  await asSuperuser(`create role ${ROLE} login password '${appPassword}'`);
  await asSuperuser(`create database ${ROLE} owner ${ROLE}`);
  appUrl = `postgresql://${ROLE}:${appPassword}@127.0.0.1:${server.port}/${ROLE}`;
}, 120_000);

afterAll(async () => {
  await server?.destroy();
});

/** Boots `StorageModule.forRoot(options)` the way a host app would, recording everything it prints and throws. */
async function bootStorage(options: StorageModuleOptions): Promise<{ error: unknown; texts: string[] }> {
  const logger = new CapturingLogger();
  const output = captureProcessOutput();
  let error: unknown;
  try {
    // NestFactory, not a testing module: Nest's own start-up logging is part of what is scanned.
    const app = await NestFactory.create(
      { module: class BootProbe {}, imports: [StorageModule.forRoot(options)] },
      { logger, abortOnError: false },
    );
    await app.close();
  } catch (caught) {
    error = caught;
  } finally {
    output.restore();
  }
  return { error, texts: [errorText(error), ...logger.lines, output.text()] };
}

describe('the secret scanner', () => {
  it('finds a password, and a connection string with credentials it was not told about', () => {
    expect(leakedSecrets(['login with s3cret failed'], ['s3cret'])).toHaveLength(1);
    expect(leakedSecrets(['connect to postgresql://other:hunter2@db:5432/x'], [])).toHaveLength(1);
    expect(leakedSecrets(['PostgreSQL at db:5432/x is unavailable'], ['s3cret'])).toEqual([]);
  });
});

describe('a storage module that cannot connect at start-up', () => {
  it('fails on an unreachable port without a password or connection string in any error or log line', async () => {
    const unreachable = `postgresql://${ROLE}:${appPassword}@127.0.0.1:${await freePort()}/${ROLE}`;
    const { error, texts } = await bootStorage({ driver: 'postgres', clientUrl: unreachable });
    expect(error).toBeInstanceOf(StorageUnavailableError);
    // The capture saw the failure (Nest logs it), so an empty scan means a clean output, not a blind one.
    expect(texts.join('\n')).toMatch(/ExceptionHandler/);
    expect(leakedSecrets(texts, [...secrets(), unreachable])).toEqual([]);
  });

  it('fails on a wrong password without that password, the right one or a connection string in any output', async () => {
    const { error, texts } = await bootStorage({
      driver: 'postgres',
      clientUrl: appUrl.replace(appPassword, wrongPassword),
    });
    expect(error).toBeInstanceOf(StorageUnavailableError);
    expect(leakedSecrets(texts, secrets())).toEqual([]);
  });

  it('keeps the password out of output when it is given as an option rather than in a URL', async () => {
    const { error, texts } = await bootStorage({
      driver: 'postgres',
      host: '127.0.0.1',
      port: server.port,
      user: ROLE,
      password: wrongPassword,
      dbName: ROLE,
    });
    expect(error).toBeInstanceOf(StorageUnavailableError);
    expect(leakedSecrets(texts, secrets())).toEqual([]);
  });
});

describe('the running sync app when its database goes away or rejects its password', () => {
  let app: NestExpressApplication;
  let baseUrl: string;
  let provider: StorageProvider;
  const logger = new CapturingLogger();
  /** Everything observed during the failures: HTTP bodies, store errors, health reports. */
  const observed: string[] = [];

  beforeAll(async () => {
    app = await startSampleAppInProcess(
      { STORAGE_DRIVER: 'postgres', DATABASE_URL: appUrl, HEALTH_CHECK_TIMEOUT_MS: '1000' },
      { logger },
    );
    baseUrl = await listenLocally(app);
    provider = app.get<StorageProvider>(STORAGE_PROVIDER);
  }, 60_000);

  afterAll(async () => {
    await app?.close();
  });

  async function observeFailure(): Promise<void> {
    const health = await fetch(`${baseUrl}/health`);
    const healthBody = await health.text();
    observed.push(healthBody);
    expect(health.status).toBe(503);
    expect(JSON.parse(healthBody)).toMatchObject({ status: 'error', error: { storage: { status: 'down' } } });
    const write = await fetch(`${baseUrl}/documents/secret-doc/deltas`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'x', clientId: 'a', timestamp: 1, data: null, vectorClock: { a: 1 } }),
    });
    observed.push(await write.text());
    expect(write.status).toBe(503);
    const error = await provider.documents.getDeltasSince('secret-doc').then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(StorageUnavailableError);
    observed.push(errorText(error));
    const health2 = await provider.checkHealth();
    observed.push(JSON.stringify(health2));
  }

  async function healthIsUp(): Promise<boolean> {
    return (await fetch(`${baseUrl}/health`)).status === 200;
  }

  it('reports the outage of a stopped server without a password or connection string anywhere', async () => {
    const output = captureProcessOutput();
    try {
      expect(await healthIsUp()).toBe(true);
      await server.stop();
      await observeFailure();
      await server.start();
      await eventually(healthIsUp, '/health is up again', 20_000);
    } finally {
      output.restore();
      await server.start();
    }
    expect(observed.join('\n')).toMatch(/connection refused|connection terminated|shutting down/);
    expect(leakedSecrets([...observed, ...logger.lines, output.text()], secrets())).toEqual([]);
  }, 60_000);

  it('reports a rejected password (rotated on the server) without any password or connection string anywhere', async () => {
    const output = captureProcessOutput();
    try {
      await asSuperuser(`alter role ${ROLE} password '${rotatedPassword}'`);
      // Open connections keep working after a rotation; dropping them makes the pool log in again.
      await asSuperuser(`select pg_terminate_backend(pid) from pg_stat_activity where usename = '${ROLE}'`);
      await observeFailure();
      await asSuperuser(`alter role ${ROLE} password '${appPassword}'`);
      await eventually(healthIsUp, '/health is up again', 20_000);
    } finally {
      output.restore();
    }
    expect(observed.join('\n')).toMatch(/authentication failed/);
    expect(leakedSecrets([...observed, ...logger.lines, output.text()], secrets())).toEqual([]);
  }, 60_000);
});
