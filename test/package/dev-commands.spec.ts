import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { APP_VARIABLES } from '../../sample/sync-app/src/config/app.config.js';
import { storageMigrations } from '../../src/postgres.js';
import { eventually } from '../fixtures/eventually.js';
import { PROCESS_BOUND_MS, freePort } from '../support/node-process.js';
import { freshClone, outcomeOf } from '../support/fresh-clone.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

// The commands of a fresh clone the README names: `npm start` (twice at once), `npx nest build` and
// `npx nest start` (nest-cli.json), `npx mikro-orm migration:list|up` (the top-level mikro-orm.config.ts) and
// `npm run db`. Each in the clone's folder, as a user types it.

const NAMES = storageMigrations.map((migration) => migration.name);

interface Command {
  readonly child: ChildProcess;
  output(): string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started = new Set<Command>();

/** `command args` in `cwd`, in a process group of its own (npm starts sh, which starts node). */
function start(command: string, args: string[], cwd: string, env: Record<string, string> = {}): Command {
  const inherited = { ...process.env };
  for (const name of APP_VARIABLES) delete inherited[name];
  const child = spawn(command, args, { cwd, env: { ...inherited, NO_COLOR: '1', ...env }, detached: true });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // 'close', not 'exit': npm may exit before the app it started has written its last lines to the shared pipes.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.on('close', (code, signal) => done({ code, signal })),
  );
  const each: Command = { child, output: () => output, exited };
  started.add(each);
  void exited.then(() => started.delete(each));
  return each;
}

/** Signals the command's process group (npm, sh and node alike). */
function signal(command: Command, name: NodeJS.Signals): void {
  try {
    process.kill(-command.child.pid!, name);
  } catch {
    // It ended in between.
  }
}

/** Waits until the sample app of `command` answers GET /health on `port`. */
async function answersHealth(command: Command, port: number): Promise<unknown> {
  let body: unknown;
  await eventually(
    async () => {
      if (command.child.exitCode !== null) throw new Error(`exited while starting:\n${command.output()}`);
      const response = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined);
      if (response) body = await response.json();
      return response !== undefined;
    },
    `the app on port ${port} answers /health`,
    PROCESS_BOUND_MS * 2,
  );
  return body;
}

const UP = { status: 'ok', info: { storage: { status: 'up', driver: 'memory' } } };

let clone: string;
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
  clone = freshClone();
});

afterAll(async () => {
  for (const command of started) signal(command, 'SIGKILL');
  await database?.drop();
  if (clone) rmSync(clone, { recursive: true, force: true });
});

describe('npm start on a fresh clone', () => {
  it('starts two instances at once from a clean build state, both serve, and a third start rebuilds nothing', async () => {
    expect(existsSync(join(clone, 'dist'))).toBe(false);
    const ports = [await freePort(), await freePort()];
    const instances = ports.map((port) => start('npm', ['start'], clone, { PORT: String(port) }));
    for (const [index, instance] of instances.entries())
      expect(await answersHealth(instance, ports[index]!)).toMatchObject(UP);
    const built = ['dist/esm/index.js', 'dist/cjs/index.js', 'sample/sync-app/dist/main.js'].map(
      (file) => statSync(join(clone, file)).mtimeMs,
    );

    const port = await freePort();
    const third = start('npm', ['start'], clone, { PORT: String(port) });
    expect(await answersHealth(third, port)).toMatchObject(UP);
    expect(
      ['dist/esm/index.js', 'dist/cjs/index.js', 'sample/sync-app/dist/main.js'].map(
        (file) => statSync(join(clone, file)).mtimeMs,
      ),
    ).toEqual(built);
    // The first two still serve: nothing under them was deleted or rewritten.
    for (const each of ports) expect((await fetch(`http://127.0.0.1:${each}/health`)).status).toBe(200);

    for (const instance of [...instances, third]) signal(instance, 'SIGTERM');
    for (const instance of [...instances, third]) {
      await instance.exited;
      expect(instance.output()).toContain('SIGTERM received, shutting down');
      expect(instance.output()).not.toMatch(/ERR_MODULE_NOT_FOUND|Error:/);
    }
  }, 300_000);
});

describe('the Nest CLI with the top-level nest-cli.json', () => {
  it('builds the sample app with npx nest build and serves it with npx nest start', async () => {
    // What `npm ci` runs after installing (package.json "prepare"): the package's build the sample compiles against.
    expect(await outcomeOf('npm', ['run', '-s', 'prepare'], clone)).toMatchObject({ code: 0 });
    rmSync(join(clone, 'sample/sync-app/dist'), { recursive: true, force: true });
    expect(await outcomeOf('npx', ['nest', 'build'], clone)).toEqual({ code: 0, output: '' });
    expect(existsSync(join(clone, 'sample/sync-app/dist/main.js'))).toBe(true);

    const port = await freePort();
    const nest = start('npx', ['nest', 'start'], clone, { PORT: String(port) });
    expect(await answersHealth(nest, port)).toMatchObject(UP);
    signal(nest, 'SIGTERM');
    await nest.exited;
    expect(nest.output()).toContain(`sync app listening on 127.0.0.1:${port}`);
  }, 300_000);
});

describe('the MikroORM CLI with the top-level mikro-orm.config.ts', () => {
  const mikroOrm = (command: string) =>
    outcomeOf('npx', ['mikro-orm', command], clone, { DATABASE_URL: database.url, DATABASE_SCHEMA: 'cli' });

  it('lists the storage migrations as pending, applies them with migration:up, then lists them as executed', async () => {
    expect(await outcomeOf('npm', ['run', '-s', 'prepare'], clone)).toMatchObject({ code: 0 });
    const before = await mikroOrm('migration:list');
    expect(before).toEqual({ code: 0, output: 'No migrations executed yet\n' });
    const pending = await mikroOrm('migration:pending');
    expect(pending.code).toBe(0);
    for (const name of NAMES) expect(pending.output).toContain(name);

    const up = await mikroOrm('migration:up');
    expect(up).toMatchObject({
      code: 0,
      output: expect.stringContaining('Successfully migrated up to the latest version'),
    });
    const rows = await database.query<{ name: string }>('select name from cli.sync_storage_migrations order by id');
    expect(rows.map((row) => row.name)).toEqual(NAMES);

    const executed = await mikroOrm('migration:list');
    for (const name of NAMES) expect(executed.output).toContain(name);
    for (const outcome of [pending, up, executed]) expect(outcome.output).not.toContain(database.password);
  }, 180_000);
});

describe('npm run db', () => {
  it('prints a DATABASE_URL that accepts connections, and stops cleanly on SIGINT', async () => {
    // What `npm run db` runs; npm itself, like the terminal's Ctrl-C, would take the SIGINT of the group too.
    expect(JSON.parse(readFileSync(join(clone, 'package.json'), 'utf8')).scripts.db).toBe('node scripts/db.mjs');
    const db = start(process.execPath, ['scripts/db.mjs'], clone);
    let url: string | undefined;
    await eventually(
      () => {
        if (db.child.exitCode !== null) throw new Error(`npm run db exited:\n${db.output()}`);
        url = /^DATABASE_URL=(\S+)$/m.exec(db.output())?.[1];
        return url !== undefined;
      },
      'npm run db prints DATABASE_URL',
      PROCESS_BOUND_MS,
    );
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const [row] = (await client.query<{ name: string }>('select current_database() as name')).rows;
    await client.end();
    expect(row!.name).toBe('sync');

    signal(db, 'SIGINT');
    expect(await db.exited).toEqual({ code: 0, signal: null });
    expect(db.output()).toContain('SIGINT: stopping PostgreSQL and deleting its data');
    const refused = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
    await expect(refused.connect()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  }, 120_000);
});

describe('npm run example:automerge', () => {
  it('counts the changes in words that agree with the number', async () => {
    const outcome = await outcomeOf('npm', ['run', '-s', 'example:automerge'], clone, { DATABASE_URL: '' });
    expect(outcome.code).toBe(0);
    expect(outcome.output).toContain('alice stored 1 change; bob sent 2 changes, of which 1 was new\n');
  }, 120_000);
});
