import { storageMigrations } from '../../src/postgres.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { SAMPLE_APP_MAIN, startSampleApp } from '../support/built-package.js';
import { exitOf, freePort, runNode } from '../support/node-process.js';
import { createTestDatabase, uniqueName, type TestDatabase } from '../support/postgres.js';
import { runSql, storageSessions } from '../support/sql.js';

let database: TestDatabase;
let workDir: string;

beforeAll(async () => {
  database = await createTestDatabase();
  workDir = mkdtempSync(join(tmpdir(), 'sync-app-process-'));
});

afterAll(async () => {
  await database?.drop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

/** An address of this machine other than loopback, if it has one. */
const otherAddress = Object.values(networkInterfaces())
  .flat()
  .find((address) => address && address.family === 'IPv4' && !address.internal)?.address;

/** Runs the sample app until it exits by itself (it is expected to refuse to start). */
async function refusedStart(env: Record<string, string>) {
  const app = runNode(SAMPLE_APP_MAIN, { env: { PORT: String(await freePort()), ...env } });
  return { exit: await exitOf(app), output: app.output() };
}

// Each test runs its own process on its own port, so they run side by side.
describe('the sample app as a process (node sample/sync-app/dist/main.js)', () => {
  it.concurrent(
    "serves GET /health on 127.0.0.1 only, not on the machine's other address, then exits 0 on SIGTERM",
    async () => {
      const app = await startSampleApp();
      const response = await fetch(`${app.baseUrl}/health`);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({
        status: 'ok',
        info: { storage: { status: 'up', driver: 'memory' } },
      });
      // A machine with loopback alone has no other address to try.
      if (otherAddress)
        await expect(fetch(`${app.baseUrl.replace('127.0.0.1', otherAddress)}/health`)).rejects.toThrow();
      expect(await app.stop()).toEqual({ code: 0, signal: null });
    },
  );

  it.concurrent('reads .env from its working directory, where HOST can open it to other addresses', async () => {
    const folder = mkdtempSync(join(workDir, 'env-'));
    writeFileSync(join(folder, '.env'), 'HOST=0.0.0.0\nAWARENESS_TIMEOUT_MS=1234\n');
    const app = await startSampleApp({}, folder);
    const baseUrl = otherAddress ? app.baseUrl.replace('127.0.0.1', otherAddress) : app.baseUrl;
    const set = await fetch(`${baseUrl}/documents/doc/awareness/ann`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ state: {}, clock: 1 }),
    });
    expect(set.status).toBe(200);
    const [entry] = (await (await fetch(`${baseUrl}/documents/doc/awareness`)).json()) as {
      updatedAt: string;
      expiresAt: string;
    }[];
    expect(Date.parse(entry!.expiresAt) - Date.parse(entry!.updatedAt)).toBe(1234);
    await app.stop();
  });

  it.concurrent.each<[string, Record<string, string>, string[]]>([
    [
      'STORAGE_DRIVER and PORT are not valid',
      { STORAGE_DRIVER: 'postgresql://app:Sup3rS3cret@db/sync', PORT: 'Sup3rS3cret' },
      ['STORAGE_DRIVER', 'PORT'],
    ],
    ['STORAGE_DRIVER is postgres without DATABASE_URL', { STORAGE_DRIVER: 'postgres' }, ['DATABASE_URL']],
  ])(
    'refuses to start when %s: exit code 1 and one line naming the variables, without their values',
    async (_case, env, variables) => {
      const { exit, output } = await refusedStart(env);
      expect(exit).toEqual({ code: 1, signal: null });
      const lines = output.trim().split('\n');
      expect(lines).toHaveLength(1);
      for (const variable of variables) expect(lines[0]).toContain(variable);
      expect(output).not.toContain('Sup3rS3cret');
    },
  );

  it.concurrent('refuses a DATABASE_URL of another database without printing its password', async () => {
    const { exit, output } = await refusedStart({
      STORAGE_DRIVER: 'postgres',
      DATABASE_URL: 'mysql://app:Sup3rS3cret@db.internal:3306/sync',
    });
    expect(exit.code).not.toBe(0);
    expect(output).toContain('options.clientUrl');
    expect(output).not.toContain('Sup3rS3cret');
  });

  it.concurrent(
    'starts on the postgres DATABASE_URL, migrates, reports the database on /health, and closes it on shutdown',
    async () => {
      const schema = uniqueName('app');
      const app = await startSampleApp({
        STORAGE_DRIVER: 'postgres',
        DATABASE_URL: database.url,
        DATABASE_SCHEMA: schema,
      });
      const response = await fetch(`${app.baseUrl}/health`);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({
        status: 'ok',
        info: { storage: { status: 'up', driver: 'postgres' } },
      });
      expect(await runSql(database.url, `select name from "${schema}".sync_storage_migrations`)).toHaveLength(
        storageMigrations.length,
      );
      expect(await app.stop()).toEqual({ code: 0, signal: null });
      expect(await storageSessions(database.url)).toBe(0);
    },
  );

  it.concurrent(
    'exits at start-up with a clear message when PostgreSQL is unreachable, without printing the password',
    async () => {
      const port = await freePort();
      const { exit, output } = await refusedStart({
        STORAGE_DRIVER: 'postgres',
        DATABASE_URL: `postgresql://app:${database.password}@127.0.0.1:${port}/sync`,
      });
      expect(exit.code).not.toBe(0);
      expect(output).toContain(`PostgreSQL at 127.0.0.1:${port}/sync is unavailable: connection refused`);
      expect(output).not.toContain(database.password);
    },
  );
});
