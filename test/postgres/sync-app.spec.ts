import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { storageMigrations } from '../../src/index.js';
import { eventually } from '../fixtures/eventually.js';
import { transpileSources } from '../fixtures/transpile-sources.js';
import { createTestDatabase, freePort, uniqueName, type TestDatabase } from '../support/postgres.js';

const repo = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
let buildDir: string;
let database: TestDatabase;

interface App {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** `npm start` without the build: the emitted main.js, with only the given storage variables. */
function startApp(env: Record<string, string>): App {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(PORT|STORAGE_|DATABASE_|MIKRO_ORM_)/.test(name)),
  );
  const child = spawn(process.execPath, ['main.js'], { cwd: buildDir, env: { ...inherited, NO_COLOR: '1', ...env } });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return { child, output: () => output, exited };
}

beforeAll(async () => {
  buildDir = mkdtempSync(join(tmpdir(), 'sync-storage-pg-app-'));
  symlinkSync(join(repo, 'node_modules'), join(buildDir, 'node_modules'), 'dir');
  writeFileSync(join(buildDir, 'package.json'), JSON.stringify({ type: 'module' }));
  transpileSources(repo, buildDir);
  database = await createTestDatabase();
});

afterAll(async () => {
  await database?.drop();
  rmSync(buildDir, { recursive: true, force: true });
});

describe('the sync app with STORAGE_DRIVER=postgres', () => {
  it.concurrent(
    'starts on DATABASE_URL, migrates, reports the database on /health, and closes it on shutdown',
    async () => {
      const port = await freePort();
      const schema = uniqueName('app');
      const app = startApp({
        PORT: String(port),
        STORAGE_DRIVER: 'postgres',
        DATABASE_URL: database.url,
        DATABASE_SCHEMA: schema,
      });
      try {
        await eventually(() => app.output().includes('listening'), `the app listening:\n${app.output()}`, 30_000);
        const response = await fetch(`http://127.0.0.1:${port}/health`);
        expect(response.status).toBe(200);
        expect(await response.json()).toMatchObject({
          status: 'ok',
          info: { storage: { status: 'up', driver: 'postgres' } },
        });
        expect(await database.query(`select name from "${schema}".sync_storage_migrations`)).toHaveLength(
          storageMigrations.length,
        );
      } finally {
        app.child.kill('SIGTERM');
      }
      expect(await app.exited).toBe(0);
      const sessions = await database.query(
        `select 1 from pg_stat_activity where application_name = 'nest-sync-storage' and datname = current_database()`,
      );
      expect(sessions).toEqual([]);
    },
  );

  it.concurrent(
    'exits at boot with a clear message when the server is unreachable, without printing the password',
    async () => {
      const port = await freePort();
      const app = startApp({
        PORT: String(await freePort()),
        STORAGE_DRIVER: 'postgres',
        DATABASE_URL: `postgresql://app:${database.password}@127.0.0.1:${port}/sync`,
      });
      expect(await app.exited).not.toBe(0);
      expect(app.output()).toContain(`PostgreSQL at 127.0.0.1:${port}/sync is unavailable: connection refused`);
      expect(app.output()).not.toContain(database.password);
    },
  );
});
